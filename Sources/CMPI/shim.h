#ifndef TRAINSIM_CMPI_SHIM_H
#define TRAINSIM_CMPI_SHIM_H
#include <mpi.h>

/* Open MPI defines these handles as macros over global objects, which Swift cannot import. */
static inline MPI_Comm trainsim_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Comm trainsim_mpi_comm_null(void) { return MPI_COMM_NULL; }
static inline MPI_Datatype trainsim_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype trainsim_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype trainsim_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype trainsim_mpi_int(void) { return MPI_INT; }
static inline MPI_Datatype trainsim_mpi_uint16(void) { return MPI_UINT16_T; }
static inline MPI_Datatype trainsim_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Op trainsim_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op trainsim_mpi_max(void) { return MPI_MAX; }
static inline MPI_Op trainsim_mpi_min(void) { return MPI_MIN; }
static inline void *trainsim_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Status *trainsim_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Status *trainsim_mpi_statuses_ignore(void) { return MPI_STATUSES_IGNORE; }
static inline int trainsim_mpi_any_source(void) { return MPI_ANY_SOURCE; }
static inline int trainsim_mpi_any_tag(void) { return MPI_ANY_TAG; }
static inline MPI_Request trainsim_mpi_request_null(void) { return MPI_REQUEST_NULL; }
static inline int trainsim_mpi_success(void) { return MPI_SUCCESS; }
static inline MPI_Errhandler trainsim_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline int trainsim_mpi_status_source(const MPI_Status *s) { return s->MPI_SOURCE; }
static inline int trainsim_mpi_status_tag(const MPI_Status *s) { return s->MPI_TAG; }

#endif
