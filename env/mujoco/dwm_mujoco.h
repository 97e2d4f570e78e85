// C helpers for dwm's MuJoCo binding (see sim.go). Every helper that runs
// MuJoCo code sets a guard first: MuJoCo's error hook copies the message into
// the guard and longjmps back to the setjmp inside the same C function, so
// errors never exit the process and never unwind through Go frames.

#ifndef DWM_MUJOCO_H
#define DWM_MUJOCO_H

#include <mujoco/mujoco.h>

#define DWM_MSGLEN 1024

// Return codes of the guarded helpers.
enum {
  DWM_OK = 0,
  DWM_ERROR = 1,    // MuJoCo raised an error (text in status.msg)
  DWM_WARNING = 2,  // MuJoCo raised a warning during a step (kind in status.warning)
};

// dwm_status carries the outcome of one guarded call. It lives in C memory
// (one per Data) so Go never passes its own pointers to C.
typedef struct {
  char msg[DWM_MSGLEN];  // error or warning text
  int warning;           // mjtWarning kind that fired, or -1
  int info;              // MuJoCo's info value for that warning
} dwm_status;

// dwm_install_handlers points mju_user_error/mju_user_warning at dwm's
// hooks. Call once before any other MuJoCo use.
void dwm_install_handlers(void);

// dwm_load_xml compiles an MJCF document held in memory (through a
// heap-allocated VFS). On failure it returns NULL with MuJoCo's message in err.
mjModel* dwm_load_xml(const char* xml, int len, char* err, int errlen);

// dwm_load_file compiles an MJCF file from disk.
mjModel* dwm_load_file(const char* path, char* err, int errlen);

// dwm_make_data allocates an mjData for m (NULL with st->msg on failure).
mjData* dwm_make_data(const mjModel* m, dwm_status* st);

// dwm_reset runs mj_resetData.
int dwm_reset(const mjModel* m, mjData* d, dwm_status* st);

// dwm_forward runs mj_forward.
int dwm_forward(const mjModel* m, mjData* d, dwm_status* st);

// dwm_step runs mj_step nstep times (ctrl already written into d->ctrl),
// then mj_rnePostConstraint when rne is nonzero, and reports any MuJoCo
// warning raised on the way (NaN/Inf resets, full contact or constraint
// buffers) as DWM_WARNING.
int dwm_step(const mjModel* m, mjData* d, int nstep, int rne, dwm_status* st);

// dwm_set_const recomputes the model constants that depend on masses and
// geometry (body_subtreemass, then mj_setConst with a scratch mjData).
int dwm_set_const(mjModel* m, dwm_status* st);

// dwm_raw_loop is the benchmark baseline: for each of nsteps env steps it
// copies one row of actions into ctrl and calls mj_step frameskip times (then
// mj_rnePostConstraint if rne is nonzero). Every reset_every env steps it
// restores qpos/qvel from init (nq+nv values) after mj_resetData. No guard,
// no checks: the plain C loop dwm is measured against.
void dwm_raw_loop(const mjModel* m, mjData* d, const mjtNum* actions, int nactions,
                  long nsteps, int frameskip, int rne, const mjtNum* init, int reset_every);

// dwm_raise_error calls mju_error(msg) under a guard (tests the error path).
int dwm_raise_error(const char* msg, dwm_status* st);

#endif
