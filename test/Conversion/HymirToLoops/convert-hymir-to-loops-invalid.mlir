// RUN: hymir-opt %s --hymir-convert-hymir-to-loops -split-input-file -verify-diagnostics

// A step op whose output has a dynamic per-step dim (allowed by the verifier,
// whose C1 only covers inputs, params and states) has no loop form: the
// destination of the output could not be sized.
func.func @recurrence_dynamic_step_output(%x: tensor<?x?x4xf32>) -> tensor<?x?x?xf32> {
  // expected-error @+1 {{'hymir.recurrence' op cannot be lowered to loops: result #0 has a dynamic per-step dim; only batch and time may be dynamic}}
  %o = hymir.recurrence ins(%x : tensor<?x?x4xf32>) -> (tensor<?x?x?xf32>) {
  ^bb0(%xt: tensor<4xf32>):
    %d = tensor.cast %xt : tensor<4xf32> to tensor<?xf32>
    hymir.yield %d : tensor<?xf32>
  }
  return %o : tensor<?x?x?xf32>
}
