/*
 * slipkit's thin N-API binding to MPI: just the collectives the data-parallel engine uses,
 * on MPI_COMM_WORLD, all synchronous (the tfjs step that calls them is synchronous too).
 *
 * No call may block forever on a peer that died or hangs. Every collective first waits for
 * all ranks to arrive (MPI_Ibarrier polled with MPI_Test until done or `timeoutMs` passes,
 * error code 'ETIMEDOUT'), then runs as a non-blocking collective polled the same way (code
 * 'ETIMEDOUT_TRANSFER' when a peer stops inside it: a rank frozen after the barrier used to
 * leave rank 0 blocked in MPI_Allreduce for good). OpenMPI's non-blocking all-reduce (libnbc)
 * defaults to an algorithm that measured half the speed of the blocking one for a 26 MB
 * bucket between two ranks here; its ring algorithm matched or beat it (26 MB: 9.1 vs 8.7 ms;
 * 148 MB: 94 vs 100 ms on 2 ranks, 175 vs 245 ms on 4), so init() selects the ring unless
 * the user set OMPI_MCA_coll_libnbc_iallreduce_algorithm.
 *
 * Built by scripts/setup-mpi.js with mpicc into .mpi/slipkit_mpi.node.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <mpi.h>
#include <node_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <time.h>

static int initialized = 0;

/*
 * Arrival tracking, so a timed-out collective can name the rank that never came: every other
 * rank sends rank 0 the sequence number of each collective as it enters it (a small eager
 * message, fire and forget), and rank 0 drains them while it polls. On a timeout rank 0
 * knows, for each peer, the last collective it reached.
 */
#define ARRIVE_TAG 4242
#define PING_TAG 4243
#define PONG_TAG 4244
#define SEND_RING 256
static int world_rank = 0, world_size = 1;
static int *last_seen = NULL;        /* rank 0: last sequence number each rank announced */
static int *recv_bufs = NULL;        /* rank 0: one posted receive per peer */
static MPI_Request *recv_reqs = NULL;
static int send_ring[SEND_RING];
static unsigned send_next = 0;
static int current_seq = 0;          /* the collective this rank is in, or last was in */

/*
 * Liveness, so a collective that stalls after every rank arrived can still name the rank that
 * stopped: every rank but 0 keeps a receive posted for a ping from rank 0 and answers it, with
 * the collective it is in, from inside its polling loop. Rank 0 pings only after a timeout; a
 * rank that does not answer is the one that died or hangs.
 */
static int ping_buf = 0;
static MPI_Request ping_req = MPI_REQUEST_NULL;
static int pong_buf = 0;

static void answer_pings(void) {
  if (world_rank == 0 || ping_req == MPI_REQUEST_NULL) return;
  int done = 0;
  if (MPI_Test(&ping_req, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS || !done) return;
  MPI_Request req;
  pong_buf = current_seq;
  if (MPI_Isend(&pong_buf, 1, MPI_INT, 0, PONG_TAG, MPI_COMM_WORLD, &req) == MPI_SUCCESS) MPI_Request_free(&req);
  MPI_Irecv(&ping_buf, 1, MPI_INT, 0, PING_TAG, MPI_COMM_WORLD, &ping_req);
}

static void post_arrival_receives(void) {
  last_seen = calloc(world_size, sizeof(int));
  recv_bufs = calloc(world_size, sizeof(int));
  recv_reqs = calloc(world_size, sizeof(MPI_Request));
  for (int r = 1; r < world_size; r++) MPI_Irecv(&recv_bufs[r], 1, MPI_INT, r, ARRIVE_TAG, MPI_COMM_WORLD, &recv_reqs[r]);
}

static void drain_arrivals(void) {
  if (world_rank != 0 || !recv_reqs) return;
  for (int r = 1; r < world_size; r++) {
    for (;;) {
      int done = 0;
      if (MPI_Test(&recv_reqs[r], &done, MPI_STATUS_IGNORE) != MPI_SUCCESS || !done) break;
      last_seen[r] = recv_bufs[r];
      MPI_Irecv(&recv_bufs[r], 1, MPI_INT, r, ARRIVE_TAG, MPI_COMM_WORLD, &recv_reqs[r]);
    }
  }
}

static void announce(int seq) {
  current_seq = seq;
  if (world_rank == 0) {
    drain_arrivals();
    return;
  }
  MPI_Request req;
  int *slot = &send_ring[send_next++ % SEND_RING];
  *slot = seq;
  if (MPI_Isend(slot, 1, MPI_INT, 0, ARRIVE_TAG, MPI_COMM_WORLD, &req) == MPI_SUCCESS) MPI_Request_free(&req);
}

#define CHECK(call)                                                        \
  do {                                                                     \
    if ((call) != napi_ok) {                                               \
      napi_throw_error(env, NULL, "slipkit_mpi: N-API call failed: " #call); \
      return NULL;                                                         \
    }                                                                      \
  } while (0)

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static napi_value throw_mpi(napi_env env, const char *what, int rc) {
  char msg[MPI_MAX_ERROR_STRING + 128];
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  snprintf(msg, sizeof msg, "%s failed: %.*s", what, len, text);
  napi_throw_error(env, "EMPI", msg);
  return NULL;
}

/* Polls a request until done or timeout; returns 0, or throws and returns -1. */
static int wait_for(napi_env env, MPI_Request *req, double timeout_ms, const char *what, const char *timeout_code) {
  /* `what` names the MPI call in errors other than the timeout (whose message the caller completes) */
  double start = now_ms();
  long spins = 0;
  for (;;) {
    int done = 0;
    int rc = MPI_Test(req, &done, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS) {
      throw_mpi(env, what, rc);
      return -1;
    }
    if (done) return 0;
    drain_arrivals();
    answer_pings();
    /* Each MPI_Test drives the transfer's progress, so never sleep between them (a sleep
       throttles a large, fragmented all-reduce); yield the core now and then instead, so a
       peer rank sharing it can reach the collective. */
    if (++spins % 64 == 0) sched_yield();
    if (timeout_ms > 0 && now_ms() - start > timeout_ms) {
      char msg[256];
      snprintf(msg, sizeof msg, "timed out after %.0f ms", timeout_ms);
      napi_throw_error(env, timeout_code, msg);
      return -1;
    }
  }
}

/* Waits until every rank has entered this collective; 0, or -1 with a JavaScript error thrown. */
static int all_arrived(napi_env env, double timeout_ms) {
  MPI_Request req;
  int rc = MPI_Ibarrier(MPI_COMM_WORLD, &req);
  if (rc != MPI_SUCCESS) {
    throw_mpi(env, "MPI_Ibarrier", rc);
    return -1;
  }
  return wait_for(env, &req, timeout_ms, "MPI_Ibarrier", "ETIMEDOUT");
}

static napi_value make_int(napi_env env, int v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

/* init() -> { rank, size, localRank, localSize, library } */
static napi_value init(napi_env env, napi_callback_info info) {
  (void)info;
  int rank = 0, size = 1, local_rank = 0, local_size = 1;
  if (!initialized) {
    /* OpenMPI's components are plugins that need libmpi's symbols global; node loads addons RTLD_LOCAL. */
    if (!dlopen("libmpi.so.40", RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD)) dlopen("libmpi.so.40", RTLD_NOW | RTLD_GLOBAL);
    setenv("OMPI_MCA_coll_libnbc_iallreduce_algorithm", "1", 0); /* ring: see the header */
    int provided = 0;
    int rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    if (rc != MPI_SUCCESS) return throw_mpi(env, "MPI_Init_thread", rc);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    initialized = 1;
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (!recv_reqs && !last_seen) {
    world_rank = rank;
    world_size = size;
    if (rank == 0) post_arrival_receives();
    else MPI_Irecv(&ping_buf, 1, MPI_INT, 0, PING_TAG, MPI_COMM_WORLD, &ping_req);
  }
  MPI_Comm local;
  if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &local) == MPI_SUCCESS) {
    MPI_Comm_rank(local, &local_rank);
    MPI_Comm_size(local, &local_size);
    MPI_Comm_free(&local);
  }
  char version[MPI_MAX_LIBRARY_VERSION_STRING];
  int vlen = 0;
  MPI_Get_library_version(version, &vlen);
  while (vlen > 0 && (version[vlen - 1] == '\n' || version[vlen - 1] == '\0')) vlen--;
  napi_value out, lib;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_set_named_property(env, out, "rank", make_int(env, rank)));
  CHECK(napi_set_named_property(env, out, "size", make_int(env, size)));
  CHECK(napi_set_named_property(env, out, "localRank", make_int(env, local_rank)));
  CHECK(napi_set_named_property(env, out, "localSize", make_int(env, local_size)));
  CHECK(napi_create_string_utf8(env, version, vlen, &lib));
  CHECK(napi_set_named_property(env, out, "library", lib));
  return out;
}

/* A typed array argument: its data, element count and MPI datatype. */
typedef struct {
  void *data;
  size_t length;
  MPI_Datatype type;
} Buffer;

static int read_buffer(napi_env env, napi_value v, Buffer *b) {
  napi_typedarray_type t;
  napi_value ab;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &t, &b->length, &b->data, &ab, &offset) != napi_ok) {
    napi_throw_type_error(env, NULL, "expected a typed array");
    return -1;
  }
  switch (t) {
    case napi_float32_array: b->type = MPI_FLOAT; break;
    case napi_float64_array: b->type = MPI_DOUBLE; break;
    case napi_int32_array: b->type = MPI_INT; break;
    case napi_uint8_array: b->type = MPI_BYTE; break;
    default: napi_throw_type_error(env, NULL, "expected a Float32Array, Float64Array, Int32Array or Uint8Array"); return -1;
  }
  return 0;
}

static int read_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) {
    napi_throw_type_error(env, NULL, "missing arguments");
    return -1;
  }
  if (!initialized) {
    napi_throw_error(env, NULL, "MPI is not initialised: call init() first");
    return -1;
  }
  return 0;
}

static double read_double(napi_env env, napi_value v) {
  double d = 0;
  napi_get_value_double(env, v, &d);
  return d;
}

/* allreduceSum(buffer, timeoutMs, seq): sums the buffer over all ranks, in place. */
static napi_value allreduce_sum(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  Buffer b;
  if (read_args(env, info, 3, argv) || read_buffer(env, argv[0], &b)) return NULL;
  announce((int)read_double(env, argv[2]));
  if (b.type == MPI_BYTE) return throw_mpi(env, "allreduceSum of bytes", MPI_ERR_TYPE);
  if (all_arrived(env, read_double(env, argv[1]))) return NULL;
  MPI_Request req;
  int rc = MPI_Iallreduce(MPI_IN_PLACE, b.data, (int)b.length, b.type, MPI_SUM, MPI_COMM_WORLD, &req);
  if (rc != MPI_SUCCESS) return throw_mpi(env, "MPI_Iallreduce", rc);
  wait_for(env, &req, read_double(env, argv[1]), "MPI_Iallreduce", "ETIMEDOUT_TRANSFER");
  return NULL;
}

/* allgather(send, recv, timeoutMs, seq): recv = concatenation of every rank's send, in rank order. */
static napi_value allgather(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  Buffer s, r;
  if (read_args(env, info, 4, argv) || read_buffer(env, argv[0], &s) || read_buffer(env, argv[1], &r)) return NULL;
  announce((int)read_double(env, argv[3]));
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (s.type != r.type || r.length != s.length * (size_t)size) {
    napi_throw_range_error(env, NULL, "allgather: recv must have the send buffer's type and size x its length");
    return NULL;
  }
  if (all_arrived(env, read_double(env, argv[2]))) return NULL;
  MPI_Request req;
  int rc = MPI_Iallgather(s.data, (int)s.length, s.type, r.data, (int)s.length, r.type, MPI_COMM_WORLD, &req);
  if (rc != MPI_SUCCESS) return throw_mpi(env, "MPI_Iallgather", rc);
  wait_for(env, &req, read_double(env, argv[2]), "MPI_Iallgather", "ETIMEDOUT_TRANSFER");
  return NULL;
}

/* broadcast(buffer, root, timeoutMs, seq): every rank's buffer becomes root's, in place. */
static napi_value broadcast(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  Buffer b;
  if (read_args(env, info, 4, argv) || read_buffer(env, argv[0], &b)) return NULL;
  announce((int)read_double(env, argv[3]));
  int root = (int)read_double(env, argv[1]);
  if (all_arrived(env, read_double(env, argv[2]))) return NULL;
  MPI_Request req;
  int rc = MPI_Ibcast(b.data, (int)b.length, b.type, root, MPI_COMM_WORLD, &req);
  if (rc != MPI_SUCCESS) return throw_mpi(env, "MPI_Ibcast", rc);
  wait_for(env, &req, read_double(env, argv[2]), "MPI_Ibcast", "ETIMEDOUT_TRANSFER");
  return NULL;
}

/* barrier(timeoutMs, seq) */
static napi_value barrier(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (read_args(env, info, 2, argv)) return NULL;
  announce((int)read_double(env, argv[1]));
  all_arrived(env, read_double(env, argv[0]));
  return NULL;
}

/* laggards(seq) -> ranks whose last announced collective is before `seq` (rank 0 only; [] elsewhere). */
static napi_value laggards(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (read_args(env, info, 1, argv)) return NULL;
  int seq = (int)read_double(env, argv[0]);
  napi_value out;
  CHECK(napi_create_array(env, &out));
  if (world_rank != 0 || !last_seen) return out;
  drain_arrivals();
  uint32_t n = 0;
  for (int r = 1; r < world_size; r++) {
    if (last_seen[r] < seq) {
      napi_value pair;
      CHECK(napi_create_array_with_length(env, 2, &pair));
      CHECK(napi_set_element(env, pair, 0, make_int(env, r)));
      CHECK(napi_set_element(env, pair, 1, make_int(env, last_seen[r])));
      CHECK(napi_set_element(env, out, n++, pair));
    }
  }
  return out;
}

/* unresponsive(waitMs) -> on rank 0, [rank, collective it last reached] for each rank that does not
   answer a ping within waitMs ([] elsewhere). Asked after a collective stalls past its barrier. */
static napi_value unresponsive(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (read_args(env, info, 1, argv)) return NULL;
  double wait_ms = read_double(env, argv[0]);
  napi_value out;
  CHECK(napi_create_array(env, &out));
  if (world_rank != 0 || world_size < 2) return out;
  int *answers = calloc(world_size, sizeof(int));
  int *answered = calloc(world_size, sizeof(int));
  MPI_Request *reqs = calloc(world_size, sizeof(MPI_Request));
  int ping = 1;
  for (int r = 1; r < world_size; r++) {
    MPI_Request sreq;
    if (MPI_Isend(&ping, 1, MPI_INT, r, PING_TAG, MPI_COMM_WORLD, &sreq) == MPI_SUCCESS) MPI_Request_free(&sreq);
    MPI_Irecv(&answers[r], 1, MPI_INT, r, PONG_TAG, MPI_COMM_WORLD, &reqs[r]);
  }
  double start = now_ms();
  int pending = world_size - 1;
  long spins = 0;
  while (pending > 0 && now_ms() - start < wait_ms) {
    for (int r = 1; r < world_size; r++) {
      if (answered[r]) continue;
      int done = 0;
      if (MPI_Test(&reqs[r], &done, MPI_STATUS_IGNORE) == MPI_SUCCESS && done) {
        answered[r] = 1;
        pending--;
      }
    }
    drain_arrivals();
    if (++spins % 64 == 0) sched_yield();
  }
  uint32_t n = 0;
  for (int r = 1; r < world_size; r++) {
    if (answered[r]) continue;
    MPI_Cancel(&reqs[r]);
    MPI_Wait(&reqs[r], MPI_STATUS_IGNORE); /* a cancelled receive completes at once */
    napi_value pair;
    napi_create_array_with_length(env, 2, &pair);
    napi_set_element(env, pair, 0, make_int(env, r));
    napi_set_element(env, pair, 1, make_int(env, last_seen ? last_seen[r] : 0));
    napi_set_element(env, out, n++, pair);
  }
  free(answers);
  free(answered);
  free(reqs);
  return out;
}

/* abort(code): ends every rank of the job (what a rank does after a fatal error, so peers do not wait). */
static napi_value abort_all(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  size_t argc = 1;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int code = argc > 0 ? (int)read_double(env, argv[0]) : 1;
  if (initialized) MPI_Abort(MPI_COMM_WORLD, code);
  return NULL;
}

static napi_value finalize(napi_env env, napi_callback_info info) {
  (void)env;
  (void)info;
  if (initialized) {
    MPI_Finalize();
    initialized = 0;
  }
  return NULL;
}

static napi_value module_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"init", NULL, init, NULL, NULL, NULL, napi_default, NULL},
      {"allreduceSum", NULL, allreduce_sum, NULL, NULL, NULL, napi_default, NULL},
      {"allgather", NULL, allgather, NULL, NULL, NULL, napi_default, NULL},
      {"broadcast", NULL, broadcast, NULL, NULL, NULL, napi_default, NULL},
      {"barrier", NULL, barrier, NULL, NULL, NULL, napi_default, NULL},
      {"laggards", NULL, laggards, NULL, NULL, NULL, napi_default, NULL},
      {"unresponsive", NULL, unresponsive, NULL, NULL, NULL, napi_default, NULL},
      {"abort", NULL, abort_all, NULL, NULL, NULL, napi_default, NULL},
      {"finalize", NULL, finalize, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, module_init)
