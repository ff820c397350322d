"""What embedlib's Numba kernels share: compiler options, a software prefetch, its distance.

Options. Every kernel is compiled with ``cache=True`` (compiled once, then loaded from
``__pycache__``) and ``nogil=True`` (threads run kernels in parallel):

* :data:`FAST` adds ``fastmath``: LLVM may reorder float sums, so loops vectorize. For
  the training kernels (word2vec, GloVe's step, sampling), where speed matters and the
  order of a sum does not; results stay deterministic for a given machine and build.
* :data:`INLINE` is :data:`FAST` with ``inline="always"``, for small helpers the kernels
  call in their inner loops: a call that passes array views to a separately compiled
  function is not inlined by LLVM and costs twice the time.
* :data:`FAST_DIVIDE` is :data:`FAST` without Python's ZeroDivisionError check on ``/``
  (``error_model="numpy"``), which would stop GloVe's loops from vectorizing.
* :data:`EXACT` leaves float arithmetic as written: for counting and for costs summed in
  float64, which must not depend on how LLVM vectorizes.
* :data:`KERNEL` is :data:`FAST` without Numba's reference counting (``_nrt=False``), for
  a training kernel that only reads and writes the arrays it is given. Each view of a row,
  ``C[r]``, otherwise increments and decrements the matrix's reference count with atomic
  instructions, and with several threads all of them land on the one cache line of that
  count, which moves between the cores at every step. In the word2vec kernel that was
  most of what a CBOW step cost beyond its arithmetic (bench/results/cbow_profile.md).
  Such a function cannot allocate arrays (``np.empty`` does not compile in it, nor in the
  functions it calls), and views it makes must not outlive its arguments.

Prefetch. ``prefetch(a, i)`` asks the CPU to bring the cache line holding ``a.flat[i]``
closer (LLVM's ``llvm.prefetch``: read access, high temporal locality, data cache) and
returns at once. It never faults, even for an index out of bounds, and does not change
results: kernels call it for work :data:`AHEAD` steps ahead, so that the memory latency of
random rows overlaps computation instead of adding to it.
"""

from __future__ import annotations

import numba
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["FAST", "INLINE", "FAST_DIVIDE", "EXACT", "KERNEL", "AHEAD", "prefetch",
           "prefetch_span"]

FAST = dict(cache=True, nogil=True, fastmath=True)
INLINE = dict(FAST, inline="always")
FAST_DIVIDE = dict(FAST, error_model="numpy")
EXACT = dict(cache=True, nogil=True)
KERNEL = dict(FAST, _nrt=False)

#: How many steps ahead kernels prefetch the memory of random accesses (a record, a row, a
#: window): far enough for the load to arrive, near enough to stay in cache.
AHEAD = 8


@intrinsic
def prefetch(typingctx, arr, idx):
    """Prefetch ``arr.flat[idx]`` (a C-contiguous array, an integer index) for reading."""
    if not isinstance(arr, types.Array) or not isinstance(idx, types.Integer):
        return None
    sig = types.void(arr, idx)

    def codegen(context, builder, signature, args):
        aryty, idxty = signature.args
        ary = context.make_array(aryty)(context, builder, args[0])
        # address arithmetic only: base + idx * itemsize, no bounds check, no load
        i64 = ir.IntType(64)
        i32 = ir.IntType(32)
        i8p = ir.IntType(8).as_pointer()
        itemsize = context.get_abi_sizeof(context.get_data_type(aryty.dtype))
        idx = context.cast(builder, args[1], idxty, types.int64)
        addr = builder.add(builder.ptrtoint(ary.data, i64),
                           builder.mul(idx, ir.Constant(i64, itemsize)))
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0i8")
        builder.call(fn, [builder.inttoptr(addr, i8p), ir.Constant(i32, 0),
                          ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return sig, codegen


@numba.njit(**INLINE)
def prefetch_span(A, start, n):
    """Prefetch every cache line of ``A.flat[start:start + n]`` (4-byte items: 16 a line),
    e.g. a row of a matrix: ``prefetch_span(A, r * d, d)``."""
    for t in range(0, n, 16):
        prefetch(A, start + t)
    prefetch(A, start + n - 1)
