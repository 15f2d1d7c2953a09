/* The portable path: one element at a time, exactly the definitions in internal.h. */
#include "internal.h"

static void sum_f32(void *d, const void *s, size_t n) { ck_tail_sum_f32(d, s, 0, n); }
static void max_f32(void *d, const void *s, size_t n) { ck_tail_max_f32(d, s, 0, n); }
static void sum_bf16(void *d, const void *s, size_t n) { ck_tail_sum_bf16(d, s, 0, n); }
static void max_bf16(void *d, const void *s, size_t n) { ck_tail_max_bf16(d, s, 0, n); }
static void sum_f16(void *d, const void *s, size_t n) { ck_tail_sum_f16(d, s, 0, n); }
static void max_f16(void *d, const void *s, size_t n) { ck_tail_max_f16(d, s, 0, n); }

const ck_table ck_scalar_table = {
    [CK_DTYPE_F32] = {sum_f32, max_f32},
    [CK_DTYPE_BF16] = {sum_bf16, max_bf16},
    [CK_DTYPE_F16] = {sum_f16, max_f16},
};
