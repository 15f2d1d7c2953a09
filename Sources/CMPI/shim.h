#ifndef TRAINSIM_CMPI_SHIM_H
#define TRAINSIM_CMPI_SHIM_H
#include <mpi.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

/* Open MPI is opened on first use, not linked: loading libmpi and its eight libraries took about
 * 0.8 ms of every start (an empty C program linked with it: 1.9 ms against 1.1 ms), and most runs
 * (`trainsim FILE` on a laptop) never call MPI. Only the types and constants of mpi.h are used
 * from the header; every function and predefined object is looked up in the library. libmpi is
 * opened RTLD_GLOBAL, as Open MPI's own plugins need its symbols. */
static inline void *trainsim_mpi_symbol(const char *name) {
    static void *lib = 0;
    if (!lib) {
        const char *names[] = {"libmpi.so.40", "libmpi.so"};
        for (int i = 0; i < 2 && !lib; i++) lib = dlopen(names[i], RTLD_NOW | RTLD_GLOBAL);
        if (!lib) {
            fprintf(stderr, "trainsim: cannot load Open MPI (libmpi.so.40): %s\n", dlerror());
            exit(2);
        }
    }
    void *p = dlsym(lib, name);
    if (!p) {
        fprintf(stderr, "trainsim: Open MPI's libmpi has no %s\n", name);
        exit(2);
    }
    return p;
}

/* trainsim_MPI_X(...) calls MPI_X(...), looked up once. */
#define TRAINSIM_MPI_FUNCTION(ret, name, params, args) \
    static inline ret trainsim_##name params { \
        static ret (*f) params = 0; \
        if (!f) f = (ret (*) params)trainsim_mpi_symbol(#name); \
        return f args; \
    }

TRAINSIM_MPI_FUNCTION(int, MPI_Initialized, (int *flag), (flag))
TRAINSIM_MPI_FUNCTION(int, MPI_Finalized, (int *flag), (flag))
TRAINSIM_MPI_FUNCTION(int, MPI_Init_thread, (int *argc, char ***argv, int required, int *provided), (argc, argv, required, provided))
TRAINSIM_MPI_FUNCTION(int, MPI_Query_thread, (int *provided), (provided))
TRAINSIM_MPI_FUNCTION(int, MPI_Finalize, (void), ())
TRAINSIM_MPI_FUNCTION(int, MPI_Abort, (MPI_Comm comm, int code), (comm, code))
TRAINSIM_MPI_FUNCTION(double, MPI_Wtime, (void), ())
TRAINSIM_MPI_FUNCTION(int, MPI_Get_library_version, (char *version, int *length), (version, length))
TRAINSIM_MPI_FUNCTION(int, MPI_Comm_dup, (MPI_Comm comm, MPI_Comm *copy), (comm, copy))
TRAINSIM_MPI_FUNCTION(int, MPI_Comm_rank, (MPI_Comm comm, int *rank), (comm, rank))
TRAINSIM_MPI_FUNCTION(int, MPI_Comm_size, (MPI_Comm comm, int *size), (comm, size))
TRAINSIM_MPI_FUNCTION(int, MPI_Barrier, (MPI_Comm comm), (comm))
TRAINSIM_MPI_FUNCTION(int, MPI_Bcast, (void *buffer, int count, MPI_Datatype type, int root, MPI_Comm comm),
                      (buffer, count, type, root, comm))
TRAINSIM_MPI_FUNCTION(int, MPI_Allreduce, (const void *in, void *out, int count, MPI_Datatype type, MPI_Op op, MPI_Comm comm),
                      (in, out, count, type, op, comm))
TRAINSIM_MPI_FUNCTION(int, MPI_Reduce_local, (const void *in, void *inout, int count, MPI_Datatype type, MPI_Op op),
                      (in, inout, count, type, op))
TRAINSIM_MPI_FUNCTION(int, MPI_Reduce_scatter_block, (const void *in, void *out, int count, MPI_Datatype type, MPI_Op op, MPI_Comm comm),
                      (in, out, count, type, op, comm))
TRAINSIM_MPI_FUNCTION(int, MPI_Allgather, (const void *in, int inCount, MPI_Datatype inType, void *out, int outCount, MPI_Datatype outType,
                                           MPI_Comm comm),
                      (in, inCount, inType, out, outCount, outType, comm))
TRAINSIM_MPI_FUNCTION(int, MPI_Alltoall, (const void *in, int inCount, MPI_Datatype inType, void *out, int outCount, MPI_Datatype outType,
                                          MPI_Comm comm),
                      (in, inCount, inType, out, outCount, outType, comm))
TRAINSIM_MPI_FUNCTION(int, MPI_Gather, (const void *in, int inCount, MPI_Datatype inType, void *out, int outCount, MPI_Datatype outType,
                                        int root, MPI_Comm comm),
                      (in, inCount, inType, out, outCount, outType, root, comm))
TRAINSIM_MPI_FUNCTION(int, MPI_Gatherv, (const void *in, int inCount, MPI_Datatype inType, void *out, const int outCounts[],
                                         const int displacements[], MPI_Datatype outType, int root, MPI_Comm comm),
                      (in, inCount, inType, out, outCounts, displacements, outType, root, comm))
TRAINSIM_MPI_FUNCTION(int, MPI_Send, (const void *buffer, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm),
                      (buffer, count, type, dest, tag, comm))
TRAINSIM_MPI_FUNCTION(int, MPI_Recv, (void *buffer, int count, MPI_Datatype type, int source, int tag, MPI_Comm comm, MPI_Status *status),
                      (buffer, count, type, source, tag, comm, status))
TRAINSIM_MPI_FUNCTION(int, MPI_Isend, (const void *buffer, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm, MPI_Request *request),
                      (buffer, count, type, dest, tag, comm, request))
TRAINSIM_MPI_FUNCTION(int, MPI_Irecv, (void *buffer, int count, MPI_Datatype type, int source, int tag, MPI_Comm comm, MPI_Request *request),
                      (buffer, count, type, source, tag, comm, request))
TRAINSIM_MPI_FUNCTION(int, MPI_Wait, (MPI_Request *request, MPI_Status *status), (request, status))
TRAINSIM_MPI_FUNCTION(int, MPI_Waitall, (int count, MPI_Request requests[], MPI_Status statuses[]), (count, requests, statuses))
TRAINSIM_MPI_FUNCTION(int, MPI_Probe, (int source, int tag, MPI_Comm comm, MPI_Status *status), (source, tag, comm, status))
TRAINSIM_MPI_FUNCTION(int, MPI_Iprobe, (int source, int tag, MPI_Comm comm, int *flag, MPI_Status *status), (source, tag, comm, flag, status))
TRAINSIM_MPI_FUNCTION(int, MPI_Get_count, (const MPI_Status *status, MPI_Datatype type, int *count), (status, type, count))

/* Open MPI's predefined handles are global objects in libmpi (mpi.h's macros take their
 * addresses), which Swift can neither import nor, unlinked, reach: looked up once each. */
#define TRAINSIM_MPI_OBJECT(type, getter, symbol) \
    static inline type getter(void) { \
        static type h = 0; \
        if (!h) h = (type)trainsim_mpi_symbol(#symbol); \
        return h; \
    }
TRAINSIM_MPI_OBJECT(MPI_Comm, trainsim_mpi_comm_world, ompi_mpi_comm_world)
TRAINSIM_MPI_OBJECT(MPI_Comm, trainsim_mpi_comm_null, ompi_mpi_comm_null)
TRAINSIM_MPI_OBJECT(MPI_Datatype, trainsim_mpi_float, ompi_mpi_float)
TRAINSIM_MPI_OBJECT(MPI_Datatype, trainsim_mpi_double, ompi_mpi_double)
TRAINSIM_MPI_OBJECT(MPI_Datatype, trainsim_mpi_byte, ompi_mpi_byte)
TRAINSIM_MPI_OBJECT(MPI_Datatype, trainsim_mpi_int, ompi_mpi_int)
TRAINSIM_MPI_OBJECT(MPI_Datatype, trainsim_mpi_uint16, ompi_mpi_uint16_t)
TRAINSIM_MPI_OBJECT(MPI_Datatype, trainsim_mpi_int64, ompi_mpi_int64_t)
TRAINSIM_MPI_OBJECT(MPI_Op, trainsim_mpi_sum, ompi_mpi_op_sum)
TRAINSIM_MPI_OBJECT(MPI_Op, trainsim_mpi_max, ompi_mpi_op_max)
TRAINSIM_MPI_OBJECT(MPI_Op, trainsim_mpi_min, ompi_mpi_op_min)
TRAINSIM_MPI_OBJECT(MPI_Request, trainsim_mpi_request_null, ompi_request_null)
TRAINSIM_MPI_OBJECT(MPI_Errhandler, trainsim_mpi_errors_return, ompi_mpi_errors_return)

static inline void *trainsim_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Status *trainsim_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Status *trainsim_mpi_statuses_ignore(void) { return MPI_STATUSES_IGNORE; }
static inline int trainsim_mpi_any_source(void) { return MPI_ANY_SOURCE; }
static inline int trainsim_mpi_any_tag(void) { return MPI_ANY_TAG; }
static inline int trainsim_mpi_success(void) { return MPI_SUCCESS; }
static inline int trainsim_mpi_status_source(const MPI_Status *s) { return s->MPI_SOURCE; }
static inline int trainsim_mpi_status_tag(const MPI_Status *s) { return s->MPI_TAG; }

#endif
