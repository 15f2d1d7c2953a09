/* Run-time choice of the kernel path from CPUID and XGETBV (no compiler runtime support needed). */
#include "internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static uint64_t ck_xgetbv0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static unsigned ck_detect(void) {
    unsigned mask = 1u << CK_ISA_SCALAR;
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return mask;
    int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, f16c = (c >> 29) & 1, fma = (c >> 12) & 1;
    if (!osxsave || !avx) return mask;
    uint64_t xcr0 = ck_xgetbv0();
    int ymm_state = (xcr0 & 0x6) == 0x6;
    int zmm_state = ymm_state && (xcr0 & 0xe0) == 0xe0;
    if (__get_cpuid_max(0, 0) < 7) return mask;
    __cpuid_count(7, 0, a, b, c, d);
    int avx2 = (b >> 5) & 1, avx512f = (b >> 16) & 1, avx512dq = (b >> 17) & 1, avx512bw = (b >> 30) & 1;
    int avx512fp16 = (d >> 23) & 1;
    unsigned leaf7_subleaves = a;
    int avx512bf16 = 0;
    if (leaf7_subleaves >= 1) {
        __cpuid_count(7, 1, a, b, c, d);
        avx512bf16 = (a >> 5) & 1;
    }
    if (ymm_state && avx2 && f16c && fma) mask |= 1u << CK_ISA_AVX2;
    if (zmm_state && avx512f && (mask & (1u << CK_ISA_AVX2))) {
        mask |= 1u << CK_ISA_AVX512;
        if (avx512dq && avx512bf16) mask |= 1u << CK_ISA_AVX512BF16;
        if (avx512bw && avx512fp16) mask |= 1u << CK_ISA_AVX512FP16;
    }
    return mask;
}

static const ck_table *ck_tables[CK_ISA_COUNT] = {
    &ck_scalar_table, &ck_avx2_table, &ck_avx512_table, &ck_avx512bf16_table, &ck_avx512fp16_table,
};
#else
static unsigned ck_detect(void) { return 1u << CK_ISA_SCALAR; }
static const ck_table *ck_tables[CK_ISA_COUNT] = {&ck_scalar_table, 0, 0, 0, 0};
#endif

unsigned ck_cpu_isa_mask(void) {
    /* Racing first calls compute the same value; a plain int store/load is fine for this cache. */
    static volatile int cached = -1;
    int m = cached;
    if (m < 0) { m = (int)ck_detect(); cached = m; }
    return (unsigned)m;
}

ck_reduce_fn ck_kernel(int isa, int dtype, int op) {
    if (isa < 0 || isa >= CK_ISA_COUNT || dtype < 0 || dtype >= CK_DTYPE_COUNT || op < 0 || op >= CK_OP_COUNT) return 0;
    if (!(ck_cpu_isa_mask() & (1u << isa)) || !ck_tables[isa]) return 0;
    return (*ck_tables[isa])[dtype][op];
}

int ck_best_isa(int dtype, int op, int max_isa) {
    if (max_isa >= CK_ISA_COUNT) max_isa = CK_ISA_COUNT - 1;
    for (int isa = max_isa; isa > CK_ISA_SCALAR; isa--)
        if (ck_kernel(isa, dtype, op)) return isa;
    return CK_ISA_SCALAR;
}
