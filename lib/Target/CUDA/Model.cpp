//===- Model.cpp - CUDA model artifacts: @prefill + @decode ----------------===//
//
// A model module (docs/models.md) on the CUDA target: its entry points are
// prepared for a launch plan (layer functions inlined, weights as named
// plan buffers, KV-cache roles recorded, the format-2 KV append as a
// forall), then @prefill and @decode are compiled for one (B, T, C) into
// two plans that share the weights (docs/cuda-artifacts.md "Model
// artifacts").
//
//===----------------------------------------------------------------------===//

#include "hymir/Target/CUDA/Artifact.h"

#include "PlanAttributes.h"

#include "hymir_rt/cuda_plan.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MLProgram/IR/MLProgram.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace hymir::cuda_plan;

//===----------------------------------------------------------------------===//
// Models: calls inlined, weights as arguments, state roles
//===----------------------------------------------------------------------===//

/// A host loop `scf.for %b = 0 to N step 1` whose only effect is to write
/// row %b (dim 0, size 1) of each loop-carried tensor with one
/// tensor.insert_slice (the KV-cache append of model format 2: row
/// lengths[b] of sequence b) cannot run on the host of a launch plan: its
/// offsets are device data. Its iterations are independent (they write
/// disjoint rows), so it becomes an scf.forall with parallel_insert_slice,
/// which the CUDA pipeline turns into a kernel.
static LogicalResult rowWritesToForall(scf::ForOp loop) {
  if (!matchPattern(loop.getLowerBound(), m_Zero()) ||
      !matchPattern(loop.getStep(), m_One()) || loop.getNumRegionIterArgs() == 0)
    return failure();
  auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
  Value iv = loop.getInductionVar();
  SmallVector<tensor::InsertSliceOp> inserts;
  for (auto [i, arg] : llvm::enumerate(loop.getRegionIterArgs())) {
    if (!isa<RankedTensorType>(arg.getType()) || !arg.hasOneUse())
      return failure();
    auto insert = dyn_cast<tensor::InsertSliceOp>(*arg.getUsers().begin());
    if (!insert || insert.getDest() != arg ||
        yield.getOperand(i) != insert.getResult() ||
        !insert.getResult().hasOneUse())
      return failure();
    SmallVector<OpFoldResult> offsets = insert.getMixedOffsets();
    SmallVector<OpFoldResult> sizes = insert.getMixedSizes();
    if (offsets.empty() || dyn_cast_if_present<Value>(offsets[0]) != iv ||
        !isConstantIntValue(sizes[0], 1))
      return failure();
    inserts.push_back(insert);
  }
  OpBuilder b(loop);
  // Mapped to blocks: canonicalization would otherwise fold a forall of one
  // iteration (B = 1) back into host code.
  ArrayAttr mapping = b.getArrayAttr(
      {gpu::GPUBlockMappingAttr::get(b.getContext(), gpu::MappingId::DimX)});
  auto forall = scf::ForallOp::create(
      b, loop.getLoc(), ArrayRef<OpFoldResult>{loop.getUpperBound()},
      loop.getInitArgs(), mapping);
  Block *body = forall.getBody();
  IRMapping map;
  map.map(iv, body->getArgument(0));
  for (auto [arg, out] :
       llvm::zip(loop.getRegionIterArgs(), forall.getRegionIterArgs()))
    map.map(arg, out);
  b.setInsertionPointToStart(body);
  for (Operation &op : loop.getBody()->without_terminator())
    if (!llvm::is_contained(inserts, &op))
      b.clone(op, map);
  b.setInsertionPointToStart(forall.getTerminator().getBody());
  for (auto [insert, out] : llvm::zip(inserts, forall.getRegionIterArgs())) {
    auto lookup = [&](ArrayRef<OpFoldResult> list) {
      SmallVector<OpFoldResult> mapped;
      for (OpFoldResult f : list)
        mapped.push_back(isa<Value>(f)
                             ? OpFoldResult(map.lookupOrDefault(cast<Value>(f)))
                             : f);
      return mapped;
    };
    tensor::ParallelInsertSliceOp::create(
        b, insert.getLoc(), map.lookupOrDefault(insert.getSource()), out,
        lookup(insert.getMixedOffsets()), lookup(insert.getMixedSizes()),
        lookup(insert.getMixedStrides()));
  }
  loop.replaceAllUsesWith(forall.getResults());
  loop.erase();
  return success();
}

LogicalResult hymir::prepareModelEntry(ModuleOp module, StringRef entry) {
  auto func = module.lookupSymbol<func::FuncOp>(entry);
  if (!func || func.isExternal())
    return module.emitError("no function @")
           << entry << " with a body to compile";
  // Roles first: they are argument/result attributes of the source.
  Builder b(module.getContext());
  auto roles = [&](unsigned n, auto attrsOf) {
    SmallVector<Attribute> list;
    bool any = false;
    for (unsigned i = 0; i < n; ++i) {
      StringRef role = roleOf(attrsOf(i));
      any |= !role.empty();
      list.push_back(b.getStringAttr(role));
    }
    return any ? b.getArrayAttr(list) : ArrayAttr();
  };
  if (ArrayAttr in = roles(func.getNumArguments(),
                           [&](unsigned i) { return func.getArgAttrDict(i); }))
    func->setAttr(kInputRolesAttr, in);
  if (ArrayAttr out = roles(func.getNumResults(), [&](unsigned i) {
        return func.getResultAttrDict(i);
      }))
    func->setAttr(kOutputRolesAttr, out);
  // Recorded: weight arguments are appended below, and argument attributes
  // would have to follow them.
  func.removeArgAttrsAttr();

  // The host function of a plan can only launch kernels: layer functions
  // are inlined into the entry point. (By hand: the upstream inliner needs
  // an inliner interface in every dialect a callee uses, and ml_program and
  // hymir have none.) A call nested in a region, or a recursive one, stays
  // and is an error.
  for (unsigned round = 0;; ++round) {
    SmallVector<func::CallOp> calls(func.getBody().front().getOps<func::CallOp>());
    if (calls.empty())
      break;
    if (round == 64)
      return calls.front().emitOpError("calls functions nested more than 64 "
                                       "deep (recursion?); a CUDA launch "
                                       "plan only launches kernels");
    for (func::CallOp call : calls) {
      auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
      if (!callee || callee.isExternal() || callee == func ||
          !callee.getBody().hasOneBlock())
        return call.emitOpError("calls @")
               << call.getCallee()
               << ", which cannot be inlined (no single-block body); a CUDA "
                  "launch plan only launches kernels";
      IRMapping map;
      Block &calleeBody = callee.getBody().front();
      for (auto [arg, operand] :
           llvm::zip(calleeBody.getArguments(), call.getOperands()))
        map.map(arg, operand);
      OpBuilder ib(call);
      for (Operation &op : calleeBody.without_terminator())
        ib.clone(op, map);
      auto ret = cast<func::ReturnOp>(calleeBody.getTerminator());
      for (auto [result, value] : llvm::zip(call.getResults(), ret.getOperands()))
        result.replaceAllUsesWith(map.lookupOrDefault(value));
      call.erase();
    }
  }
  WalkResult nested = func.walk([](func::CallOp call) {
    call.emitOpError("calls @")
        << call.getCallee()
        << " inside a region, which the CUDA target does not inline";
    return WalkResult::interrupt();
  });
  if (nested.wasInterrupted())
    return failure();

  SmallVector<scf::ForOp> loops(func.getBody().front().getOps<scf::ForOp>());
  for (scf::ForOp loop : loops)
    (void)rowWritesToForall(loop);

  // Weights: each external global the entry loads becomes an argument after
  // the entry's own, in order of first use; its name goes to the plan.
  llvm::MapVector<StringAttr, BlockArgument> weightArgs;
  SmallVector<Attribute> names;
  Block &body = func.getBody().front();
  WalkResult result = func.walk([&](Operation *op) -> WalkResult {
    if (!isa_and_nonnull<ml_program::MLProgramDialect>(op->getDialect()))
      return WalkResult::advance();
    auto load = dyn_cast<ml_program::GlobalLoadConstOp>(op);
    if (!load)
      return op->emitOpError("is not supported by the CUDA target (weights "
                             "are read with ml_program.global_load_const)");
    StringAttr symbol = load.getGlobalAttr().getLeafReference();
    auto global = module.lookupSymbol<ml_program::GlobalOp>(symbol);
    auto type = global ? dyn_cast<RankedTensorType>(global.getType())
                       : RankedTensorType();
    if (!type || !type.hasStaticShape())
      return op->emitOpError("loads a global that is not a tensor of static "
                             "shape");
    OpBuilder rb(op);
    if (auto dense = dyn_cast_or_null<ElementsAttr>(global.getValueAttr())) {
      // A constant of the model: kernels read their own copy.
      auto typed = cast<TypedAttr>(dense);
      Value c = arith::ConstantOp::create(rb, op->getLoc(), typed);
      load.getResult().replaceAllUsesWith(c);
      op->erase();
      return WalkResult::skip();
    }
    if (!isa_and_nonnull<ml_program::ExternAttr>(global.getValueAttr()))
      return global.emitOpError("has a value the CUDA target cannot place");
    StringRef name = symbol.getValue();
    if (name.empty() || name.size() > HYMIR_RT_CUDA_PLAN_MAX_NAME ||
        name.find_first_of(" \t\r\n#") != StringRef::npos)
      return global.emitOpError("name '")
             << name << "' cannot be a weight of a CUDA launch plan (at most "
             << HYMIR_RT_CUDA_PLAN_MAX_NAME
             << " characters, no whitespace, no '#')";
    auto [it, inserted] = weightArgs.try_emplace(symbol, BlockArgument());
    if (inserted) {
      it->second = body.addArgument(type, global.getLoc());
      names.push_back(b.getStringAttr(name));
    }
    load.getResult().replaceAllUsesWith(it->second);
    op->erase();
    return WalkResult::skip();
  });
  if (result.wasInterrupted())
    return failure();
  if (!names.empty()) {
    SmallVector<Type> inputs(body.getArgumentTypes());
    func.setFunctionType(FunctionType::get(module.getContext(), inputs,
                                           func.getResultTypes()));
    func->setAttr(kWeightsAttr, b.getArrayAttr(names));
  }
  // The globals are no longer needed (other functions are private and
  // unused after inlining).
  for (auto other : llvm::make_early_inc_range(module.getOps<func::FuncOp>()))
    if (other != func && other.isPrivate() && other.symbolKnownUseEmpty(module))
      other.erase();
  for (auto global :
       llvm::make_early_inc_range(module.getOps<ml_program::GlobalOp>()))
    if (global.symbolKnownUseEmpty(module))
      global.erase();
  return success();
}

//===----------------------------------------------------------------------===//
// Model artifacts
//===----------------------------------------------------------------------===//

namespace {
/// One `output` line of a plan this file wrote: its dims and role.
struct PlanOutput {
  SmallVector<int64_t> dims;
  std::string role;
};

SmallVector<PlanOutput> planOutputs(StringRef plan) {
  SmallVector<PlanOutput> outputs;
  SmallVector<StringRef> lines;
  plan.split(lines, '\n');
  for (StringRef line : lines) {
    SmallVector<StringRef> tok;
    line.split(tok, ' ', -1, /*KeepEmpty=*/false);
    // output <k> <src> <index> <dtype> <rank> <dims...> [<role>]
    if (tok.size() < 6 || tok[0] != "output")
      continue;
    PlanOutput out;
    int64_t rank = 0;
    tok[5].getAsInteger(10, rank);
    for (int64_t d = 0; d < rank && 6 + d < static_cast<int64_t>(tok.size());
         ++d) {
      int64_t dim = 0;
      tok[6 + d].getAsInteger(10, dim);
      out.dims.push_back(dim);
    }
    if (static_cast<int64_t>(tok.size()) == 7 + rank)
      out.role = tok.back().str();
    outputs.push_back(std::move(out));
  }
  return outputs;
}
} // namespace

FailureOr<hymir::CUDAModelArtifact>
hymir::compileCUDAModel(ModuleOp module, const CUDAModelShape &shape,
                        const CUDAPipelineOptions &options) {
  for (StringRef name : {"prefill", "decode"}) {
    auto func = module.lookupSymbol<func::FuncOp>(name);
    if (!func || func.isExternal() || !func.isPublic())
      return module.emitError("a model needs public functions @prefill and "
                              "@decode with bodies (docs/models.md); @")
             << name << " is missing";
  }
  if (shape.batch < 1 || shape.promptLen < 1)
    return module.emitError("the batch and the prompt length must be "
                            "positive");
  // hymir-import's sparse MoE dispatch sizes each expert's rows by how many
  // tokens it was routed (a value the host would need): no CUDA form yet.
  for (auto func : module.getOps<func::FuncOp>())
    if (func.getSymName().starts_with("moe_sparse_"))
      return func.emitError("sparse MoE dispatch (@")
             << func.getSymName()
             << ") has no CUDA form yet: import the model with "
                "`hymir-import --moe=dense` for the GPU (docs/models.md)";
  // A KV cache needs a capacity: checked on the source, before compiling.
  auto decodeSource = module.lookupSymbol<func::FuncOp>("decode");
  for (unsigned i = 0; i < decodeSource.getNumArguments(); ++i)
    if (roleOf(decodeSource.getArgAttrDict(i)) == "kv_cache" &&
        !shape.capacity)
      return decodeSource.emitError("the model has a KV cache (state #")
             << i << "): give its capacity (--capacity=C)";
  CUDAModelArtifact artifact;
  OwningOpRef<ModuleOp> prefill = module.clone();
  FailureOr<CUDAArtifact> pre = compileCUDAArtifact(
      *prefill, "prefill", {{shape.batch, shape.promptLen}}, options);
  if (failed(pre))
    return failure();
  artifact.prefill = std::move(*pre);

  // @decode's shapes: tokens [B], then the states @prefill returns, with
  // KV caches at the capacity.
  SmallVector<PlanOutput> states = planOutputs(artifact.prefill.plan);
  auto decodeFunc = module.lookupSymbol<func::FuncOp>("decode");
  if (states.size() != decodeFunc.getNumArguments())
    return decodeFunc.emitError("@decode takes ")
           << decodeFunc.getNumArguments() - 1 << " states but @prefill "
           << "returns " << static_cast<int64_t>(states.size()) - 1
           << " (results 1.. of @prefill are the arguments 1.. of @decode)";
  SmallVector<SmallVector<int64_t>> shapes{{shape.batch}};
  bool hasCache = false;
  for (size_t i = 1; i < states.size(); ++i) {
    SmallVector<int64_t> dims = states[i].dims;
    if (states[i].role == "kv_cache" && dims.size() >= 2) {
      hasCache = true;
      if (!shape.capacity)
        return decodeFunc.emitError("the model has a KV cache (state #")
               << i << "): give its capacity (--capacity=C)";
      if (*shape.capacity < shape.promptLen)
        return decodeFunc.emitError("the KV capacity ")
               << *shape.capacity << " is smaller than the prompt length "
               << shape.promptLen;
      dims[1] = *shape.capacity;
    }
    shapes.push_back(dims);
  }
  (void)hasCache;
  OwningOpRef<ModuleOp> decode = module.clone();
  FailureOr<CUDAArtifact> dec =
      compileCUDAArtifact(*decode, "decode", shapes, options);
  if (failed(dec))
    return failure();
  artifact.decode = std::move(*dec);
  // A state must come back with the shape it went in (model format 2: the
  // KV cache is preallocated; a growing cache would need a plan per step).
  SmallVector<PlanOutput> back = planOutputs(artifact.decode.plan);
  for (size_t i = 1; i < back.size() && i < shapes.size(); ++i)
    if (ArrayRef<int64_t>(back[i].dims) != ArrayRef<int64_t>(shapes[i])) {
      std::string in, out;
      llvm::raw_string_ostream is(in), os(out);
      llvm::interleave(shapes[i], is, "x");
      llvm::interleave(back[i].dims, os, "x");
      return decodeFunc.emitError("state #")
             << i << " goes into @decode as " << in << " and comes back as "
             << out
             << ": states must keep their shape on the CUDA target (a KV "
                "cache is preallocated and marked {hymir.kv_cache}, model "
                "format 2 of docs/models.md)";
    }
  return artifact;
}

LogicalResult hymir::writeCUDAModelArtifact(const CUDAModelArtifact &artifact,
                                            StringRef dir,
                                            std::string &errorMessage) {
  SmallString<256> pre(dir), dec(dir);
  llvm::sys::path::append(pre, HYMIR_RT_CUDA_MODEL_PREFILL);
  llvm::sys::path::append(dec, HYMIR_RT_CUDA_MODEL_DECODE);
  // Stale kernels of an earlier artifact must not mix with these.
  llvm::sys::fs::remove_directories(pre);
  llvm::sys::fs::remove_directories(dec);
  if (failed(writeCUDAArtifact(artifact.prefill, pre, errorMessage)) ||
      failed(writeCUDAArtifact(artifact.decode, dec, errorMessage)))
    return failure();
  return success();
}
