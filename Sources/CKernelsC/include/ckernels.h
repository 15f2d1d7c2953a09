/*
 * CKernelsC — the elementwise reduction kernels behind CollectiveKernels.
 *
 * Every kernel computes dst[i] = dst[i] OP src[i] for i < n, over raw buffers of one element type.
 * dst and src may be the same buffer but must not otherwise overlap. Each instruction-set path
 * (scalar, AVX2+F16C+FMA, AVX-512F, AVX-512 BF16, AVX-512 FP16) is compiled with target attributes,
 * so the library builds with default compiler flags, and is picked at run time from CPUID/XGETBV.
 * All paths give the same bits as the scalar definition (see CollectiveKernels' ReferenceReduction)
 * for every result that is not a NaN; NaN results are quiet NaNs, and when exactly one operand is
 * a NaN the result is that NaN, quieted. The floating-point environment must be the default one
 * (round to nearest even, no flush-to-zero / denormals-are-zero).
 */
#ifndef CKERNELSC_H
#define CKERNELSC_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Element types: IEEE binary32, bfloat16 (upper half of a binary32), IEEE binary16. 16-bit types are uint16_t bits. */
enum { CK_DTYPE_F32 = 0, CK_DTYPE_BF16 = 1, CK_DTYPE_F16 = 2, CK_DTYPE_COUNT = 3 };
/** Reductions: sum (correctly rounded, round to nearest even) and max (NaN-propagating, max(-0,+0) = +0). */
enum { CK_OP_SUM = 0, CK_OP_MAX = 1, CK_OP_COUNT = 2 };
/** Instruction-set paths, in order of preference (a higher value is preferred when the CPU has it). */
enum {
    CK_ISA_SCALAR = 0,
    CK_ISA_AVX2 = 1,       /* AVX2 + F16C + FMA */
    CK_ISA_AVX512 = 2,     /* AVX-512F */
    CK_ISA_AVX512BF16 = 3, /* AVX-512F + DQ + BF16: bf16 kernels only */
    CK_ISA_AVX512FP16 = 4, /* AVX-512F + BW + FP16: fp16 kernels only */
    CK_ISA_COUNT = 5
};

/** A reduction kernel: dst[i] = dst[i] OP src[i], i < n (n counts elements, not bytes). */
typedef void (*ck_reduce_fn)(void *dst, const void *src, size_t n);

/** Bit i is set when the CPU and the operating system support path i (bit CK_ISA_SCALAR is always set). */
unsigned ck_cpu_isa_mask(void);

/** The kernel of path `isa` for (dtype, op), or NULL when that path has no kernel of its own for it
 *  or the CPU lacks the path. */
ck_reduce_fn ck_kernel(int isa, int dtype, int op);

/** The highest path <= max_isa that has a kernel for (dtype, op) on this CPU (CK_ISA_SCALAR at worst). */
int ck_best_isa(int dtype, int op, int max_isa);

#ifdef __cplusplus
}
#endif
#endif
