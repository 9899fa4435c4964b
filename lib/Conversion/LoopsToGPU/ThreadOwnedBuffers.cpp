//===- ThreadOwnedBuffers.cpp - Shared buffers each thread keeps to itself ===//
//
// A step of the sequential fallback spreads its element-wise ops over the
// block's threads, and the SPMD builder gives every split loop the same
// distribution: element `tid + r · threads` in round r. A temporary that is
// only ever touched that way (the decode step's state tile: scaled, read by
// S'ᵀk in per-thread partial sums, updated, read by S_newᵀq) is a set of
// disjoint per-thread slices that lives in shared memory only because the
// bufferized step made it one buffer. Each thread's slice can be its own
// stack array instead, indexed by the round: with the rounds unrolled the
// indices are constants and LLVM keeps the array in registers, so the tile
// no longer crosses shared memory (five times a decode step) and the
// barriers that ordered those crossings go (eliminateBarriers runs after).
//
// The proof is by enumeration, since the shapes are static and blocks
// small: for every thread and every round of every access (load or store,
// through views with static layouts) the element index is computed from
// the IR, skipping accesses under an `scf.if` the thread does not take. The
// buffer qualifies if no element is touched by two threads and, once the
// rounds are unrolled, every access reaches the same slot of every thread's
// slice (a slot is an element's rank among its owner's elements).
//
//===----------------------------------------------------------------------===//

#include "ThreadOwnedBuffers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/TypeSwitch.h"

#include <functional>

using namespace mlir;

namespace {

/// Slots a thread may keep: registers, not spills.
constexpr int64_t kMaxSlots = 32;
/// Rounds a loop may have to be unrolled for a buffer.
constexpr int64_t kMaxRounds = 32;

using Env = DenseMap<Value, int64_t>;

/// The value of the index `v` with the leaves in `env`, or nullopt where it
/// depends on anything else (a load, a block id) or divides by zero.
std::optional<int64_t> evaluate(Value v, const Env &env, int depth = 0) {
  if (auto it = env.find(v); it != env.end())
    return it->second;
  if (std::optional<int64_t> c = getConstantIntValue(v))
    return *c;
  Operation *def = v.getDefiningOp();
  if (!def || depth > 32)
    return std::nullopt;
  if (isa<arith::IndexCastOp, arith::IndexCastUIOp>(def))
    return evaluate(def->getOperand(0), env, depth + 1);
  if (def->getNumOperands() != 2)
    return std::nullopt;
  std::optional<int64_t> x = evaluate(def->getOperand(0), env, depth + 1);
  std::optional<int64_t> y = evaluate(def->getOperand(1), env, depth + 1);
  if (!x || !y)
    return std::nullopt;
  bool nonNegative = *x >= 0 && *y > 0;
  return llvm::TypeSwitch<Operation *, std::optional<int64_t>>(def)
      .Case([&](arith::AddIOp) { return *x + *y; })
      .Case([&](arith::SubIOp) { return *x - *y; })
      .Case([&](arith::MulIOp) { return *x * *y; })
      .Case<arith::DivUIOp, arith::DivSIOp, arith::FloorDivSIOp>(
          [&](Operation *) -> std::optional<int64_t> {
            if (!nonNegative)
              return std::nullopt;
            return *x / *y;
          })
      .Case<arith::RemUIOp, arith::RemSIOp>(
          [&](Operation *) -> std::optional<int64_t> {
            if (!nonNegative)
              return std::nullopt;
            return *x % *y;
          })
      .Case([&](arith::CmpIOp cmp) -> std::optional<int64_t> {
        switch (cmp.getPredicate()) {
        case arith::CmpIPredicate::eq: return *x == *y;
        case arith::CmpIPredicate::ne: return *x != *y;
        case arith::CmpIPredicate::slt: return *x < *y;
        case arith::CmpIPredicate::sle: return *x <= *y;
        case arith::CmpIPredicate::sgt: return *x > *y;
        case arith::CmpIPredicate::sge: return *x >= *y;
        default:
          // Unsigned comparisons of non-negative indices.
          if (*x < 0 || *y < 0)
            return std::nullopt;
          switch (cmp.getPredicate()) {
          case arith::CmpIPredicate::ult: return *x < *y;
          case arith::CmpIPredicate::ule: return *x <= *y;
          case arith::CmpIPredicate::ugt: return *x > *y;
          case arith::CmpIPredicate::uge: return *x >= *y;
          default: return std::nullopt;
          }
        }
      })
      .Case([&](arith::AndIOp) { return *x & *y; })
      .Case([&](arith::OrIOp) { return *x | *y; })
      .Default([](Operation *) { return std::nullopt; });
}

/// A load or store of the buffer and the strides and offset (in elements
/// of the buffer) of the view it goes through.
struct Access {
  Operation *op;
  SmallVector<int64_t> strides;
  int64_t offset;

  ValueRange indices() const {
    if (auto load = dyn_cast<memref::LoadOp>(op))
      return load.getIndices();
    return cast<memref::StoreOp>(op).getIndices();
  }
  Value memref() const {
    if (auto load = dyn_cast<memref::LoadOp>(op))
      return load.getMemRef();
    return cast<memref::StoreOp>(op).getMemRef();
  }
  /// The element it touches with `env`, or nullopt.
  std::optional<int64_t> element(const Env &env) const {
    int64_t e = offset;
    for (auto [index, stride] : llvm::zip(indices(), strides)) {
      std::optional<int64_t> i = evaluate(index, env);
      if (!i)
        return std::nullopt;
      e += *i * stride;
    }
    return e;
  }
};

/// The loads and stores of `root` through views that keep its base (so
/// that a view's layout offset counts from the root's first element), or
/// failure if it has any other use.
FailureOr<SmallVector<Access>> accessesOf(Value root) {
  SmallVector<Access> out;
  SmallVector<Value> worklist{root};
  while (!worklist.empty()) {
    Value m = worklist.pop_back_val();
    for (Operation *user : m.getUsers()) {
      if (isa<memref::MemorySpaceCastOp, memref::ExpandShapeOp,
              memref::CollapseShapeOp, memref::SubViewOp, memref::CastOp>(
              user)) {
        worklist.push_back(user->getResult(0));
        continue;
      }
      if (!isa<memref::LoadOp, memref::StoreOp>(user) ||
          (isa<memref::StoreOp>(user) &&
           cast<memref::StoreOp>(user).getValueToStore() == m))
        return failure();
      Access a{user, {}, 0};
      auto type = cast<MemRefType>(m.getType());
      if (failed(type.getStridesAndOffset(a.strides, a.offset)) ||
          ShapedType::isDynamic(a.offset) ||
          llvm::any_of(a.strides, ShapedType::isDynamic))
        return failure();
      out.push_back(a);
    }
  }
  return out;
}

/// The ops that enclose `op` up to the one in `body`, innermost first
/// (none for an op of `body`), or failure if `op` is not in `body`.
FailureOr<SmallVector<Operation *>> enclosing(Operation *op, Block &body) {
  SmallVector<Operation *> chain;
  while (op->getBlock() != &body) {
    op = op->getParentOp();
    if (!op)
      return failure();
    chain.push_back(op);
  }
  return chain;
}

/// Whether thread `env` runs the ops in `region` of the scf.if `ifOp`:
/// true where the condition is not an index function of known values.
bool takes(scf::IfOp ifOp, Region *region, const Env &env) {
  std::optional<int64_t> c = evaluate(ifOp.getCondition(), env);
  if (!c)
    return true;
  return (*c != 0) == (region == &ifOp.getThenRegion());
}

/// A loop's rounds: the most iterations a thread runs, and whether every
/// thread runs that many.
struct Trips {
  int64_t most;
  bool uniform;
};

/// The rounds of `loop`, if its bounds are functions of the thread alone.
std::optional<Trips> tripsOf(scf::ForOp loop, Value tid, int64_t threads) {
  Trips trips{0, true};
  for (int64_t t = 0; t < threads; ++t) {
    Env env;
    env[tid] = t;
    std::optional<int64_t> lb = evaluate(loop.getLowerBound(), env);
    std::optional<int64_t> ub = evaluate(loop.getUpperBound(), env);
    std::optional<int64_t> step = evaluate(loop.getStep(), env);
    if (!lb || !ub || !step || *step <= 0)
      return std::nullopt;
    int64_t n = *ub > *lb ? (*ub - *lb + *step - 1) / *step : 0;
    if (t > 0 && n != trips.most)
      trips.uniform = false;
    trips.most = std::max(trips.most, n);
  }
  return trips;
}

/// The loops whose rounds an access runs over (those of the enclosing
/// `scf.for`s whose induction variables its index or guards use, with
/// bounds computed from the thread: constant bounds, or a split loop
/// `for i = tid to n step threads`), outermost first, and the element it
/// touches in every round (round r of a loop is iteration lb + r · step,
/// run where that is below ub) for every thread: nullopt where the thread
/// skips it.
struct Rounds {
  SmallVector<scf::ForOp> loops; // none: one round
  SmallVector<SmallVector<std::optional<int64_t>>> element; // [tid][round]

  size_t count() const { return element.front().size(); }
};

FailureOr<Rounds> roundsOf(const Access &a, Block &body, Value tid,
                           int64_t threads) {
  FailureOr<SmallVector<Operation *>> enclosingOps = enclosing(a.op, body);
  if (failed(enclosingOps))
    return failure();
  SmallVector<Operation *> &chain = *enclosingOps;
  // The guards and the region of each that holds the access.
  SmallVector<std::pair<scf::IfOp, Region *>> guards;
  for (Operation *q = a.op; q->getBlock() != &body; q = q->getParentOp())
    if (auto ifOp = dyn_cast<scf::IfOp>(q->getParentOp()))
      guards.push_back({ifOp, q->getParentRegion()});
  // The loops whose induction variables those use.
  llvm::DenseSet<Value> ivs, used;
  for (Operation *p : chain)
    if (auto loop = dyn_cast<scf::ForOp>(p))
      ivs.insert(loop.getInductionVar());
  SmallVector<Value> stack(a.indices());
  for (auto [ifOp, region] : guards)
    stack.push_back(ifOp.getCondition());
  for (int depth = 0; !stack.empty() && depth < 4096; ++depth) {
    Value v = stack.pop_back_val();
    if (ivs.contains(v)) {
      if (!used.insert(v).second)
        continue;
      auto loop = cast<scf::ForOp>(v.getParentBlock()->getParentOp());
      stack.append({loop.getLowerBound(), loop.getUpperBound(),
                    loop.getStep()});
      continue;
    }
    if (Operation *def = v.getDefiningOp())
      stack.append(def->operand_begin(), def->operand_end());
  }
  Rounds r;
  for (Operation *p : llvm::reverse(chain))
    if (auto loop = dyn_cast<scf::ForOp>(p))
      if (used.contains(loop.getInductionVar()))
        r.loops.push_back(loop);

  SmallVector<Trips> trips;
  int64_t count = 1;
  for (scf::ForOp loop : r.loops) {
    std::optional<Trips> t = tripsOf(loop, tid, threads);
    if (!t)
      return failure();
    trips.push_back(*t);
    count *= t->most;
    if (count > kMaxRounds)
      return failure();
  }
  for (int64_t t = 0; t < threads; ++t) {
    Env env;
    env[tid] = t;
    SmallVector<std::optional<int64_t>> elements;
    // Every round in order: loop k's rounds for each of loop k-1's.
    bool ok = true;
    std::function<void(size_t, bool)> enumerate = [&](size_t k, bool runs) {
      if (k == r.loops.size()) {
        runs = runs && llvm::all_of(guards, [&](auto guard) {
                 return takes(guard.first, guard.second, env);
               });
        std::optional<int64_t> e;
        if (runs && !(e = a.element(env)))
          ok = false;
        elements.push_back(e);
        return;
      }
      scf::ForOp loop = r.loops[k];
      int64_t lb = *evaluate(loop.getLowerBound(), env);
      int64_t ub = *evaluate(loop.getUpperBound(), env);
      int64_t step = *evaluate(loop.getStep(), env);
      for (int64_t round = 0; ok && round < trips[k].most; ++round) {
        int64_t i = lb + round * step;
        env[loop.getInductionVar()] = i;
        enumerate(k + 1, runs && i < ub);
      }
    };
    enumerate(0, true);
    if (!ok)
      return failure();
    r.element.push_back(std::move(elements));
  }
  return r;
}

/// Each element's owner and slot, if `accesses` touch disjoint per-thread
/// sets of at most kMaxSlots elements in `size` elements.
struct Ownership {
  std::vector<int64_t> owner, slot;
  int64_t slots = 0;
};

FailureOr<Ownership> ownership(ArrayRef<Rounds> rounds, int64_t size,
                               int64_t threads) {
  Ownership o;
  o.owner.assign(size, -1);
  o.slot.assign(size, -1);
  for (const Rounds &r : rounds)
    for (auto [t, elements] : llvm::enumerate(r.element))
      for (std::optional<int64_t> e : elements) {
        if (!e)
          continue;
        if (*e < 0 || *e >= size)
          return failure();
        if (o.owner[*e] != -1 && o.owner[*e] != static_cast<int64_t>(t))
          return failure();
        o.owner[*e] = t;
      }
  std::vector<int64_t> count(threads, 0);
  for (int64_t e = 0; e < size; ++e)
    if (o.owner[e] != -1)
      o.slot[e] = count[o.owner[e]]++;
  o.slots = *std::max_element(count.begin(), count.end());
  if (o.slots > kMaxSlots)
    return failure();
  return o;
}

/// The slot an access reaches in round `round`, the same in every thread
/// that runs it, or nullopt.
std::optional<int64_t> commonSlot(const Rounds &r, size_t round,
                                  const Ownership &o) {
  std::optional<int64_t> slot;
  for (const auto &elements : r.element) {
    std::optional<int64_t> e = elements[round];
    if (!e)
      continue;
    if (slot && *slot != o.slot[*e])
      return std::nullopt;
    slot = o.slot[*e];
  }
  return slot ? slot : std::optional<int64_t>(0); // run by no thread
}

/// `for i = lb to ub step s` as `for r = 0 to trips { i = lb + r · s }`
/// (in `if (i < ub)` where threads run fewer), so that the trip count is a
/// constant loopUnrollFull sees.
scf::ForOp withConstantTrips(scf::ForOp loop, Trips trips) {
  if (getConstantIntValue(loop.getLowerBound()) &&
      getConstantIntValue(loop.getUpperBound()))
    return loop;
  OpBuilder b(loop);
  Location loc = loop.getLoc();
  auto cst = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  auto rounds = scf::ForOp::create(b, loc, cst(0), cst(trips.most), cst(1),
                                   loop.getInitArgs());
  b.setInsertionPointToStart(rounds.getBody());
  Value i = arith::AddIOp::create(
      b, loc, loop.getLowerBound(),
      arith::MulIOp::create(b, loc, rounds.getInductionVar(), loop.getStep()));
  Block *dest = rounds.getBody();
  if (!trips.uniform) { // only loops without results (checked)
    Value inRange = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                          i, loop.getUpperBound());
    dest = &scf::IfOp::create(b, loc, inRange, /*withElse=*/false)
                .getThenRegion()
                .front();
  }
  Block *old = loop.getBody();
  old->getArgument(0).replaceAllUsesWith(i);
  for (auto [from, to] : llvm::zip(loop.getRegionIterArgs(),
                                   rounds.getRegionIterArgs()))
    from.replaceAllUsesWith(to);
  if (trips.uniform) {
    // The old body's yield ends the new one (a loop with results was built
    // without a terminator).
    if (!dest->empty() && dest->back().hasTrait<OpTrait::IsTerminator>())
      dest->back().erase();
    dest->getOperations().splice(dest->end(), old->getOperations());
  } else {
    old->getTerminator()->erase(); // scf.if's block keeps its own
    dest->getOperations().splice(Block::iterator(dest->getTerminator()),
                                 old->getOperations());
  }
  loop.replaceAllUsesWith(rounds.getResults());
  loop.erase();
  return rounds;
}

/// Moves `root`'s accesses to a stack array per thread if it qualifies.
bool keepInRegisters(Value root, Block &body, Value tid, int64_t threads) {
  auto type = cast<MemRefType>(root.getType());
  if (!type.hasStaticShape() || !type.getElementType().isIntOrFloat())
    return false;
  FailureOr<SmallVector<Access>> accesses = accessesOf(root);
  if (failed(accesses) || accesses->empty())
    return false;
  SmallVector<Rounds> rounds;
  for (const Access &a : *accesses) {
    FailureOr<Rounds> r = roundsOf(a, body, tid, threads);
    if (failed(r))
      return false;
    rounds.push_back(std::move(*r));
  }
  FailureOr<Ownership> owned =
      ownership(rounds, type.getNumElements(), threads);
  if (failed(owned))
    return false;
  for (const Rounds &r : rounds)
    for (size_t round = 0; round < r.count(); ++round)
      if (!commonSlot(r, round, *owned))
        return false;

  // Unroll the rounds; then every access's index is a function of the
  // thread alone, and its slot a constant.
  // Innermost loops first: unrolling an outer one would clone them.
  SmallVector<std::pair<scf::ForOp, Trips>> loops;
  for (const Rounds &r : rounds)
    for (scf::ForOp loop : r.loops)
      if (!llvm::is_contained(llvm::make_first_range(loops), loop)) {
        Trips trips = *tripsOf(loop, tid, threads);
        if (!trips.uniform && loop.getNumResults() != 0)
          return false;
        loops.push_back({loop, trips});
      }
  auto depth = [](Operation *op) {
    int d = 0;
    while ((op = op->getParentOp()))
      ++d;
    return d;
  };
  llvm::sort(loops, [&](auto &x, auto &y) {
    return depth(x.first) > depth(y.first);
  });
  for (auto [loop, trips] : loops)
    if (failed(loopUnrollFull(withConstantTrips(loop, trips))))
      return false; // cannot happen with constant trips; nothing is promoted
  accesses = accessesOf(root);
  if (failed(accesses))
    return false;
  SmallVector<std::pair<Operation *, int64_t>> slots;
  for (const Access &a : *accesses) {
    FailureOr<Rounds> r = roundsOf(a, body, tid, threads);
    if (failed(r) || !r->loops.empty())
      return false;
    // The unrolled accesses must touch what the rounds did: their own
    // elements, at one slot in every thread.
    for (auto [t, elements] : llvm::enumerate(r->element))
      if (elements[0] && owned->owner[*elements[0]] != static_cast<int64_t>(t))
        return false;
    std::optional<int64_t> slot = commonSlot(*r, 0, *owned);
    if (!slot)
      return false;
    slots.push_back({a.op, *slot});
  }
  OpBuilder b(&body, body.begin());
  Value stack = memref::AllocaOp::create(
      b, root.getLoc(),
      MemRefType::get({owned->slots}, type.getElementType()));
  for (auto [op, slot] : slots) {
    b.setInsertionPoint(op);
    Value at = arith::ConstantIndexOp::create(b, op->getLoc(), slot);
    if (auto load = dyn_cast<memref::LoadOp>(op))
      load.replaceAllUsesWith(
          memref::LoadOp::create(b, op->getLoc(), stack, at).getResult());
    else
      memref::StoreOp::create(b, op->getLoc(),
                              cast<memref::StoreOp>(op).getValueToStore(),
                              stack, at);
    op->erase();
  }
  return true;
}

} // namespace

int64_t hymir::keepThreadOwnedBuffersInRegisters(Block &body, Value tid,
                                                 int64_t threads,
                                                 ArrayRef<Value> sharedBuffers) {
  int64_t kept = 0;
  for (Value root : sharedBuffers)
    kept += keepInRegisters(root, body, tid, threads);
  return kept;
}
