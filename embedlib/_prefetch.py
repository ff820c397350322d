"""A software prefetch for Numba kernels whose memory accesses are random.

``prefetch(a, i)`` asks the CPU to bring the cache line holding ``a.flat[i]`` closer
(LLVM's ``llvm.prefetch``: read access, high temporal locality, data cache) and returns
at once. It never faults, even for an index out of bounds, and does not change results:
kernels call it for work a few steps ahead, so that the memory latency of random rows
overlaps computation instead of adding to it.
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["prefetch"]


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
