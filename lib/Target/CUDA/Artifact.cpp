//===- Artifact.cpp - CUDA artifacts: cubins + launch plan ----------------===//
//
// The plan is read off the host function that hymir-cuda-pipeline leaves:
// allocations, views, gpu.launch_func and a return. The format is the one
// runtime/include/hymir_rt/cuda_plan.h defines; the keywords and the version
// come from that header so that both sides change together.
//
//===----------------------------------------------------------------------===//

#include "hymir/Target/CUDA/Artifact.h"

#include "PlanAttributes.h"

#include "hymir_rt/cuda_plan.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace hymir::cuda_plan;

//===----------------------------------------------------------------------===//
// Shape specialisation
//===----------------------------------------------------------------------===//

LogicalResult
hymir::specializeEntryShapes(ModuleOp module, StringRef entry,
                             ArrayRef<SmallVector<int64_t>> shapes) {
  auto func = module.lookupSymbol<func::FuncOp>(entry);
  if (!func || func.isExternal())
    return module.emitError("no function @")
           << entry << " with a body to compile";
  // Weight arguments (prepareModelEntry) come last and are static already.
  auto weights = func->getAttrOfType<ArrayAttr>(kWeightsAttr);
  size_t numArgs = func.getNumArguments() - (weights ? weights.size() : 0);
  if (shapes.size() != numArgs)
    return func.emitError("@")
           << entry << " takes " << numArgs << " arguments, but "
           << shapes.size() << " shapes were given";
  Block &body = func.getBody().front();
  OpBuilder b(&body, body.begin());
  SmallVector<Type> inputs;
  for (auto [i, arg, shape] :
       llvm::enumerate(body.getArguments().take_front(numArgs), shapes)) {
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (!type)
      return func.emitError("argument #")
             << i << " is " << arg.getType()
             << "; the CUDA target takes ranked tensors only";
    if (type.getRank() != static_cast<int64_t>(shape.size()))
      return func.emitError("argument #")
             << i << " has rank " << type.getRank() << ", the shape given has "
             << shape.size() << " dimensions";
    for (auto [d, want, got] : llvm::enumerate(type.getShape(), shape)) {
      if (got <= 0)
        return func.emitError("argument #")
               << i << ": dimension " << d << " must be positive, got " << got;
      if (!ShapedType::isDynamic(want) && want != got)
        return func.emitError("argument #")
               << i << ": dimension " << d << " is " << want << ", got " << got;
    }
    auto staticType =
        RankedTensorType::get(shape, type.getElementType(), type.getEncoding());
    inputs.push_back(staticType);
    if (staticType == type)
      continue;
    arg.setType(staticType);
    auto cast = tensor::CastOp::create(b, func.getLoc(), type, arg);
    arg.replaceAllUsesExcept(cast, cast);
  }
  for (BlockArgument arg : body.getArguments().drop_front(numArgs))
    inputs.push_back(arg.getType());
  func.setFunctionType(
      FunctionType::get(module.getContext(), inputs, func.getResultTypes()));
  // One entry point per artifact: the other functions become private and
  // disappear unless the entry point calls them.
  for (auto other : module.getOps<func::FuncOp>())
    if (other != func && !other.isExternal())
      other.setPrivate();
  PassManager pm(module.getContext());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createSymbolDCEPass());
  return pm.run(module);
}

//===----------------------------------------------------------------------===//
// Plan extraction
//===----------------------------------------------------------------------===//

namespace {

/// Where a host-level memref value lives: an input or a buffer of the plan,
/// seen through `type` (its layout gives offset and strides).
struct Ref {
  hymir_rt_cuda_source source;
  size_t index;
  MemRefType type;
  /// A `memref.cast` chain of the whole input or buffer (whose static type
  /// `type` then is): the cast may have erased static sizes, not data.
  bool whole;
};

const char *sourceName(hymir_rt_cuda_source s) {
  return s == HYMIR_RT_CUDA_SOURCE_INPUT    ? "in"
         : s == HYMIR_RT_CUDA_SOURCE_WEIGHT ? "wt"
                                            : "buf";
}

/// The role recorded for position `i` of `attr` (kInputRolesAttr, ...).
StringRef roleAt(Operation *func, StringRef attr, size_t i) {
  auto list = func->getAttrOfType<ArrayAttr>(attr);
  if (!list || i >= list.size())
    return "";
  auto role = dyn_cast<StringAttr>(list[i]);
  return role ? role.getValue() : "";
}

/// The runtime's dtype name of `type`, or null.
const char *dtypeName(Type type) {
  if (type.isF32())
    return "f32";
  if (type.isF64())
    return "f64";
  if (type.isF16())
    return "f16";
  if (type.isBF16())
    return "bf16";
  if (type.isSignlessInteger(8))
    return "i8";
  if (type.isSignlessInteger(32))
    return "i32";
  if (type.isSignlessInteger(64))
    return "i64";
  return nullptr;
}

class PlanWriter {
public:
  PlanWriter(func::FuncOp func) : func(func), os(plan) {}

  LogicalResult tensorLine(Operation *at, StringRef keyword, size_t index,
                           MemRefType type, StringRef suffix = "") {
    const char *dtype = dtypeName(type.getElementType());
    if (!dtype)
      return at->emitOpError("element type ")
             << type.getElementType()
             << " has no CUDA runtime dtype (f32, f64, f16, bf16, i8, i32, "
                "i64)";
    if (!type.hasStaticShape() || type.getRank() > HYMIR_RT_MAX_RANK)
      return at->emitOpError("needs a static shape of rank <= ")
             << HYMIR_RT_MAX_RANK << ", has " << type;
    if (!keyword.empty())
      os << keyword << ' ' << index << ' ';
    os << dtype << ' ' << type.getRank();
    for (int64_t d : type.getShape())
      os << ' ' << d;
    if (!suffix.empty())
      os << ' ' << suffix;
    os << '\n';
    return success();
  }

  LogicalResult memrefParam(Operation *at, Value value) {
    auto it = refs.find(value);
    if (it == refs.end())
      return at->emitOpError("passes a memref that is not an input, a buffer "
                             "or a static view of one");
    const Ref &ref = it->second;
    SmallVector<int64_t> strides;
    int64_t offset;
    if (failed(ref.type.getStridesAndOffset(strides, offset)) ||
        !ref.type.hasStaticShape() || ShapedType::isDynamic(offset) ||
        llvm::any_of(strides, ShapedType::isDynamic))
      return at->emitOpError("passes a view with a dynamic layout: ")
             << ref.type;
    os << "param memref " << sourceName(ref.source) << ' ' << ref.index << ' '
       << offset << ' ' << ref.type.getRank();
    for (int64_t s : ref.type.getShape())
      os << ' ' << s;
    for (int64_t s : strides)
      os << ' ' << s;
    os << '\n';
    return success();
  }

  LogicalResult scalarParam(Operation *at, Value value) {
    Type type = value.getType();
    Attribute attr;
    if (!matchPattern(value, m_Constant(&attr)))
      return at->emitOpError("passes a scalar that is not a constant; the "
                             "launch plan only holds constants");
    if (auto i = dyn_cast<IntegerAttr>(attr)) {
      if (type.isIndex() || type.isSignlessInteger(64)) {
        os << "param i64 " << i.getValue().getSExtValue() << '\n';
        return success();
      }
      if (type.isSignlessInteger(32)) {
        os << "param i32 " << i.getValue().getSExtValue() << '\n';
        return success();
      }
    }
    if (auto f = dyn_cast<FloatAttr>(attr)) {
      uint64_t bits = f.getValue().bitcastToAPInt().getZExtValue();
      if (type.isF32() || type.isF64()) {
        os << "param " << (type.isF32() ? "f32" : "f64") << " 0x";
        os.write_hex(bits);
        os << '\n';
        return success();
      }
    }
    return at->emitOpError("passes a scalar of type ")
           << type << " that the launch plan cannot hold (index, i32, i64, "
                      "f32, f64)";
  }

  LogicalResult launch(gpu::LaunchFuncOp op,
                       const llvm::StringMap<size_t> &modules) {
    if (!op.getAsyncDependencies().empty() || op.getAsyncToken())
      return op.emitOpError("is asynchronous; the launch plan runs kernels "
                            "in order on one stream");
    if (op.hasClusterSize())
      return op.emitOpError("uses thread block clusters, which the launch "
                            "plan does not describe yet");
    StringRef module = op.getKernelModuleName().getValue();
    if (!modules.count(module))
      return op.emitOpError("launches a kernel of @")
             << module << ", which has no gpu.binary";
    int64_t dims[7];
    Value sizes[6] = {op.getGridSizeX(),  op.getGridSizeY(),
                      op.getGridSizeZ(),  op.getBlockSizeX(),
                      op.getBlockSizeY(), op.getBlockSizeZ()};
    for (int i = 0; i < 6; ++i) {
      std::optional<int64_t> v = getConstantIntValue(sizes[i]);
      if (!v || *v < 1)
        return op.emitOpError("has a grid or block size that is not a "
                              "positive constant");
      dims[i] = *v;
    }
    dims[6] = 0;
    if (Value smem = op.getDynamicSharedMemorySize()) {
      std::optional<int64_t> v = getConstantIntValue(smem);
      if (!v || *v < 0)
        return op.emitOpError("has a dynamic shared memory size that is not "
                              "a constant");
      dims[6] = *v;
    }
    os << "launch " << module << ' ' << op.getKernelName().getValue();
    for (int64_t d : dims)
      os << ' ' << d;
    os << ' ' << op.getKernelOperands().size() << '\n';
    for (Value operand : op.getKernelOperands()) {
      LogicalResult r = isa<MemRefType>(operand.getType())
                            ? memrefParam(op, operand)
                            : scalarParam(op, operand);
      if (failed(r))
        return failure();
    }
    return success();
  }

  LogicalResult output(func::ReturnOp op, size_t k, Value value) {
    auto it = refs.find(value);
    if (it == refs.end())
      return op.emitOpError("result #")
             << k << " is not an input, a buffer or a view of one";
    const Ref &ref = it->second;
    // A result is a whole buffer (possibly reshaped) in row-major order.
    if (!ref.whole || !ref.type.hasStaticShape())
      return op.emitOpError("result #")
             << k << " is a strided view (" << ref.type
             << "); results must be whole buffers";
    if (ref.source == HYMIR_RT_CUDA_SOURCE_WEIGHT)
      return op.emitOpError("result #")
             << k << " is a weight; return a copy of it";
    os << "output " << k << ' ' << sourceName(ref.source) << ' ' << ref.index
       << ' ';
    return tensorLine(op, "", ~size_t(0), ref.type,
                      roleAt(func, kOutputRolesAttr, k));
  }

  static SmallVector<int64_t> computeStrides(ArrayRef<int64_t> shape) {
    SmallVector<int64_t> strides(shape.size(), 1);
    for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
      strides[i] = strides[i + 1] * shape[i + 1];
    return strides;
  }

  LogicalResult run(const llvm::StringMap<size_t> &modules) {
    os << "function " << func.getName() << '\n';
    // The last arguments are the weights (prepareModelEntry).
    auto weights = func->getAttrOfType<ArrayAttr>(kWeightsAttr);
    size_t numWeights = weights ? weights.size() : 0;
    if (numWeights > func.getNumArguments())
      return func.emitError("has more weights than arguments");
    size_t numInputs = func.getNumArguments() - numWeights;
    for (auto [i, arg] : llvm::enumerate(func.getArguments())) {
      auto type = dyn_cast<MemRefType>(arg.getType());
      if (!type || !type.getLayout().isIdentity())
        return func.emitError("argument #")
               << i << " of the lowered function is " << arg.getType()
               << ", not a memref with the identity layout";
      bool isWeight = i >= numInputs;
      size_t index = isWeight ? i - numInputs : i;
      if (failed(isWeight
                     ? tensorLine(func, "weight", index, type,
                                  cast<StringAttr>(weights[index]).getValue())
                     : tensorLine(func, "input", index, type,
                                  roleAt(func, kInputRolesAttr, i))))
        return failure();
      refs[arg] = Ref{isWeight ? HYMIR_RT_CUDA_SOURCE_WEIGHT
                               : HYMIR_RT_CUDA_SOURCE_INPUT,
                      index, type, true};
    }
    size_t buffers = 0;
    for (Operation &op : func.getBody().front()) {
      if (isa<arith::ConstantOp, memref::DeallocOp>(op))
        continue;
      if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
        if (!alloc.getType().getLayout().isIdentity())
          return alloc.emitOpError("allocates a buffer with a layout");
        if (failed(tensorLine(&op, "buffer", buffers, alloc.getType())))
          return failure();
        refs[alloc] = Ref{HYMIR_RT_CUDA_SOURCE_BUFFER, buffers++,
                          alloc.getType(), true};
        continue;
      }
      if (auto view = dyn_cast<ViewLikeOpInterface>(op)) {
        auto it = refs.find(view.getViewSource());
        auto type = op.getNumResults() == 1
                        ? dyn_cast<MemRefType>(op.getResult(0).getType())
                        : MemRefType();
        if (it == refs.end() || !type)
          return op.emitOpError("is a host view the launch plan cannot "
                                "describe");
        const Ref &from = it->second;
        // Casts that erase static sizes keep the static type they came from;
        // reshapes of a whole buffer are still the whole buffer.
        bool isCast = isa<memref::CastOp>(op);
        bool reshape = isa<memref::CollapseShapeOp, memref::ExpandShapeOp>(op);
        Ref ref{from.source, from.index, type, from.whole && (isCast || reshape)};
        if (isCast && !type.hasStaticShape())
          ref.type = from.type;
        refs[op.getResult(0)] = ref;
        continue;
      }
      if (auto launchOp = dyn_cast<gpu::LaunchFuncOp>(op)) {
        if (failed(launch(launchOp, modules)))
          return failure();
        continue;
      }
      if (auto ret = dyn_cast<func::ReturnOp>(op)) {
        for (auto [k, v] : llvm::enumerate(ret.getOperands()))
          if (failed(output(ret, k, v)))
            return failure();
        continue;
      }
      return op.emitOpError("would run on the host; a CUDA launch plan can "
                            "only allocate, take static views and launch "
                            "kernels");
    }
    os << "end\n";
    return success();
  }

  func::FuncOp func;
  std::string plan;
  llvm::raw_string_ostream os;
  llvm::DenseMap<Value, Ref> refs;
};

} // namespace

FailureOr<hymir::CUDAArtifact>
hymir::extractCUDAArtifact(ModuleOp module, StringRef entry, StringRef chip) {
  auto func = module.lookupSymbol<func::FuncOp>(entry);
  if (!func || func.isExternal())
    return module.emitError("no lowered function @") << entry;
  CUDAArtifact artifact;
  llvm::StringMap<size_t> modules;
  std::string header;
  llvm::raw_string_ostream hs(header);
  hs << HYMIR_RT_CUDA_PLAN_MAGIC << ' ' << HYMIR_RT_CUDA_PLAN_VERSION << '\n'
     << "target " << chip << '\n';
  for (auto binary : module.getOps<gpu::BinaryOp>()) {
    if (binary.getObjects().size() != 1)
      return binary.emitOpError("holds ")
             << binary.getObjects().size()
             << " objects; a CUDA artifact takes one target per kernel";
    auto object = cast<gpu::ObjectAttr>(binary.getObjects()[0]);
    StringRef ext;
    switch (object.getFormat()) {
    case gpu::CompilationTarget::Binary:
      ext = ".cubin";
      break;
    case gpu::CompilationTarget::Assembly:
      ext = ".ptx";
      break;
    case gpu::CompilationTarget::Fatbin:
      ext = ".fatbin";
      break;
    default:
      return binary.emitOpError("holds an object the CUDA driver cannot load "
                                "(use format bin, isa or fatbin)");
    }
    CUDABinary out;
    out.module = binary.getSymName().str();
    out.file = out.module + ext.str();
    out.bytes = object.getObject().getValue().str();
    // cuModuleLoadData takes PTX as a NUL-terminated string.
    if (ext == ".ptx" && (out.bytes.empty() || out.bytes.back() != '\0'))
      out.bytes.push_back('\0');
    hs << "module " << out.module << ' ' << out.file << '\n';
    modules[out.module] = artifact.binaries.size();
    artifact.binaries.push_back(std::move(out));
  }
  PlanWriter writer(func);
  if (failed(writer.run(modules)))
    return failure();
  artifact.plan = header + writer.plan;
  return artifact;
}

FailureOr<hymir::CUDAArtifact>
hymir::compileCUDAArtifact(ModuleOp module, StringRef entry,
                           ArrayRef<SmallVector<int64_t>> shapes,
                           const CUDAPipelineOptions &options) {
  if (failed(prepareModelEntry(module, entry)) ||
      failed(specializeEntryShapes(module, entry, shapes)))
    return failure();
  PassManager pm(module.getContext());
  buildHymirCUDAPipeline(pm, options);
  if (failed(pm.run(module)))
    return failure();
  return extractCUDAArtifact(module, entry, options.chip);
}

LogicalResult hymir::writeCUDAArtifact(const CUDAArtifact &artifact,
                                       StringRef dir,
                                       std::string &errorMessage) {
  if (std::error_code ec = llvm::sys::fs::create_directories(dir)) {
    errorMessage = "cannot create " + dir.str() + ": " + ec.message();
    return failure();
  }
  auto writeFile = [&](StringRef name, StringRef bytes) -> LogicalResult {
    SmallString<256> path(dir), tmp;
    llvm::sys::path::append(path, name);
    tmp = path;
    tmp += ".tmp";
    std::error_code ec;
    {
      llvm::raw_fd_ostream out(tmp, ec, llvm::sys::fs::OF_None);
      if (!ec) {
        out << bytes;
        out.close();
        if (out.has_error())
          ec = out.error();
      }
    }
    if (!ec)
      ec = llvm::sys::fs::rename(tmp, path);
    if (ec) {
      llvm::sys::fs::remove(tmp);
      errorMessage = "cannot write " + path.str().str() + ": " + ec.message();
      return failure();
    }
    return success();
  };
  // Binaries first: a plan on disk always names binaries that exist.
  for (const CUDABinary &binary : artifact.binaries)
    if (failed(writeFile(binary.file, binary.bytes)))
      return failure();
  return writeFile(HYMIR_RT_CUDA_PLAN_FILE, artifact.plan);
}
