// RUN: hymir-opt %s --hymir-vectorize-projections -split-input-file | FileCheck %s

// y[b, t, o] += x[b, t, i] W[o, i] (O = 20, I = 7) on buffers: versioned on
// T >= 4; W transposed once into a [I, O] buffer; tiles of 4 rows with one
// vector<16> accumulator per row over the i loop (then the 4-wide tail block
// of O); single rows after the tiles; T < 4 keeps the linalg op.
#px = affine_map<(b, t, o, i) -> (b, t, i)>
#pw = affine_map<(b, t, o, i) -> (o, i)>
#py = affine_map<(b, t, o, i) -> (b, t, o)>
// CHECK-LABEL: func.func @proj(
// CHECK-SAME: %[[X:[a-z0-9]+]]: memref<?x?x7xf32>, %[[W:[a-z0-9]+]]: memref<20x7xf32>, %[[Y:[a-z0-9]+]]: memref<?x?x20xf32>
// CHECK: %[[T:.+]] = memref.dim %[[X]], %c1
// CHECK: %[[BIG:.+]] = arith.cmpi sge, %[[T]], %c4
// CHECK: scf.if %[[BIG]] {
// CHECK:   %[[WT:.+]] = memref.alloc() {alignment = 64 : i64} : memref<7x20xf32>
// CHECK:   %[[V:.+]] = memref.load %[[W]][%[[O:.+]], %[[I:.+]]] : memref<20x7xf32>
// CHECK:   memref.store %[[V]], %[[WT]][%[[I]], %[[O]]] : memref<7x20xf32>
// CHECK:   scf.for %[[B:.+]] = %{{.+}} to %{{.+}} step
// CHECK:     scf.for %[[R:.+]] = %{{.+}} to %{{.+}} step %c4{{(_[0-9]+)?}}
// CHECK:       scf.for %[[O0:.+]] = %{{.+}} to %c16{{(_[0-9]+)?}} step %c16{{(_[0-9]+)?}}
// CHECK:         %[[Y0:.+]] = vector.load %[[Y]][%[[B]], %[[R]], %[[O0]]] : memref<?x?x20xf32>, vector<16xf32>
// CHECK-COUNT-3: vector.load %[[Y]]{{.*}} vector<16xf32>
// CHECK:         %[[ACC:[0-9]+]]:4 = scf.for %[[II:[a-z0-9_]+]] = %{{[a-z0-9_]+}} to %c7{{(_[0-9]+)?}} step %{{[a-z0-9_]+}} iter_args(%[[A0:[a-z0-9_]+]] = %[[Y0]], {{.+}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK:           %[[WV:.+]] = vector.load %[[WT]][%[[II]], %[[O0]]] : memref<7x20xf32>, vector<16xf32>
// CHECK:           %[[XS:.+]] = memref.load %[[X]][%[[B]], %[[R]], %[[II]]]
// CHECK:           %[[XV:.+]] = vector.broadcast %[[XS]] : f32 to vector<16xf32>
// CHECK:           %[[P:.+]] = arith.mulf %[[XV]], %[[WV]] : vector<16xf32>
// CHECK:           arith.addf %[[A0]], %[[P]] : vector<16xf32>
// CHECK:         vector.store %[[ACC]]#0, %[[Y]][%[[B]], %[[R]], %[[O0]]]
// CHECK:       vector.load %[[Y]][%[[B]], %[[R]], %c16{{.*}}] : memref<?x?x20xf32>, vector<4xf32>
// CHECK:       scf.for {{.+}} -> (vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>)
// CHECK:     scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c1{{(_[0-9]+)?}}
// CHECK:       scf.for {{.+}} iter_args({{.+}}) -> (vector<16xf32>)
// CHECK:       scf.for {{.+}} iter_args({{.+}}) -> (vector<4xf32>)
// CHECK:   memref.dealloc %[[WT]]
// CHECK: } else {
// CHECK:   linalg.contract
func.func @proj(%x: memref<?x?x7xf32>, %w: memref<20x7xf32>, %y: memref<?x?x20xf32>) {
  linalg.contract indexing_maps = [#px, #pw, #py] ins(%x, %w : memref<?x?x7xf32>, memref<20x7xf32>) outs(%y : memref<?x?x20xf32>)
  return
}

// -----

// Experts: y[b, t, e, o] += x[b, t, i] W[e, o, i]; the expert loop inside
// the row tile, W transposed per expert.
#sx = affine_map<(b, t, e, o, i) -> (b, t, i)>
#sw = affine_map<(b, t, e, o, i) -> (e, o, i)>
#sy = affine_map<(b, t, e, o, i) -> (b, t, e, o)>
// CHECK-LABEL: func.func @experts(
// CHECK: memref.alloc() {alignment = 64 : i64} : memref<3x8x32xf32>
// CHECK: scf.for %[[R:.+]] = %{{.+}} to %{{.+}} step %c4{{(_[0-9]+)?}}
// CHECK:   scf.for %[[E:.+]] = %{{.+}} to %c3{{(_[0-9]+)?}}
// CHECK:     scf.for %[[O0:.+]] = %{{.+}} to %c32{{(_[0-9]+)?}} step %c16{{(_[0-9]+)?}}
// CHECK:       scf.for {{.+}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK:         vector.load %{{.+}}[%[[E]], %{{.+}}, %[[O0]]] : memref<3x8x32xf32>, vector<16xf32>
// CHECK-NOT: vector<0xf32>
// CHECK: } else {
// CHECK:   linalg.contract
func.func @experts(%x: memref<?x?x8xf32>, %w: memref<3x32x8xf32>, %y: memref<?x?x3x32xf32>) {
  linalg.contract indexing_maps = [#sx, #sw, #sy] ins(%x, %w : memref<?x?x8xf32>, memref<3x32x8xf32>) outs(%y : memref<?x?x3x32xf32>)
  return
}

// -----

// A dense MoE's down projection y[b, t, o] += sum_e,i x[b, t, e, i] W[e, o, i]:
// the sum over (e, i) carries the accumulators, e outer as in the loops it
// replaces.
#dx = affine_map<(b, t, o, e, i) -> (b, t, e, i)>
#dw = affine_map<(b, t, o, e, i) -> (e, o, i)>
#dy = affine_map<(b, t, o, e, i) -> (b, t, o)>
// CHECK-LABEL: func.func @moe_down(
// CHECK-SAME: %[[X:[a-z0-9]+]]: memref<?x?x3x8xf32>
// CHECK: %[[WT:.+]] = memref.alloc() {alignment = 64 : i64} : memref<3x8x32xf32>
// CHECK: scf.for %[[R:[a-z0-9_]+]] = %{{.+}} to %{{.+}} step %c4{{(_[0-9]+)?}}
// CHECK:   scf.for %[[O0:[a-z0-9_]+]] = %{{.+}} to %c32{{(_[0-9]+)?}} step %c16
// CHECK:     scf.for %[[E:[a-z0-9_]+]] = %{{.+}} to %c3{{(_[0-9]+)?}} step %{{.+}} iter_args({{.+}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK:       scf.for %[[I:[a-z0-9_]+]] = %{{.+}} to %c8{{(_[0-9]+)?}} step %{{.+}} iter_args({{.+}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK:         vector.load %[[WT]][%[[E]], %[[I]], %[[O0]]] : memref<3x8x32xf32>, vector<16xf32>
// CHECK:         memref.load %[[X]][%{{.+}}, %[[R]], %[[E]], %[[I]]] : memref<?x?x3x8xf32>
// CHECK: } else {
// CHECK:   linalg.contract
func.func @moe_down(%x: memref<?x?x3x8xf32>, %w: memref<3x32x8xf32>, %y: memref<?x?x32xf32>) {
  linalg.contract indexing_maps = [#dx, #dw, #dy] ins(%x, %w : memref<?x?x3x8xf32>, memref<3x32x8xf32>) outs(%y : memref<?x?x32xf32>)
  return
}

// -----

// Left alone: a weight of dynamic shape, output rows that are not contiguous,
// a weight stored [I, O] (already contiguous along o), and the op on tensors.
#px = affine_map<(b, t, o, i) -> (b, t, i)>
#pw = affine_map<(b, t, o, i) -> (o, i)>
#py = affine_map<(b, t, o, i) -> (b, t, o)>
#tw = affine_map<(b, t, o, i) -> (i, o)>
// CHECK-LABEL: func.func @dynamic_weight(
// CHECK-NOT: scf.if
// CHECK: linalg.contract
func.func @dynamic_weight(%x: memref<?x?x7xf32>, %w: memref<?x7xf32>, %y: memref<?x?x20xf32>) {
  linalg.contract indexing_maps = [#px, #pw, #py] ins(%x, %w : memref<?x?x7xf32>, memref<?x7xf32>) outs(%y : memref<?x?x20xf32>)
  return
}
// CHECK-LABEL: func.func @strided_rows(
// CHECK-NOT: scf.if
// CHECK: linalg.contract
func.func @strided_rows(%x: memref<?x?x7xf32>, %w: memref<20x7xf32>, %y: memref<?x?x20xf32, strided<[?, ?, 2]>>) {
  linalg.contract indexing_maps = [#px, #pw, #py] ins(%x, %w : memref<?x?x7xf32>, memref<20x7xf32>) outs(%y : memref<?x?x20xf32, strided<[?, ?, 2]>>)
  return
}
// CHECK-LABEL: func.func @weight_io(
// CHECK-NOT: scf.if
// CHECK: linalg.contract
func.func @weight_io(%x: memref<?x?x7xf32>, %w: memref<7x20xf32>, %y: memref<?x?x20xf32>) {
  linalg.contract indexing_maps = [#px, #tw, #py] ins(%x, %w : memref<?x?x7xf32>, memref<7x20xf32>) outs(%y : memref<?x?x20xf32>)
  return
}
// CHECK-LABEL: func.func @on_tensors(
// CHECK-NOT: scf.if
// CHECK: linalg.contract
func.func @on_tensors(%x: tensor<?x?x7xf32>, %w: tensor<20x7xf32>, %y: tensor<?x?x20xf32>) -> tensor<?x?x20xf32> {
  %r = linalg.contract indexing_maps = [#px, #pw, #py] ins(%x, %w : tensor<?x?x7xf32>, tensor<20x7xf32>) outs(%y : tensor<?x?x20xf32>) -> tensor<?x?x20xf32>
  return %r : tensor<?x?x20xf32>
}
