//go:build cgo && !nomujoco

#include "dwm_mujoco.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// A guard lives on the stack of the C helper that set it. Guards nest through
// prev; the innermost one of the running thread is dwm_top.
typedef struct dwm_guard {
  jmp_buf jb;
  dwm_status* st;
  struct dwm_guard* prev;
} dwm_guard;

static __thread dwm_guard* dwm_top = NULL;

static void dwm_copy(char* dst, int n, const char* src) {
  if (n <= 0) return;
  snprintf(dst, (size_t)n, "%s", src ? src : "");
}

// MuJoCo calls this on an error. With a guard active it records the message
// and jumps back into the guarded helper; there is no safe way to continue
// otherwise, so an unguarded error aborts with the message.
static void dwm_on_error(const char* msg) {
  dwm_guard* g = dwm_top;
  if (g == NULL) {
    fprintf(stderr, "dwm: MuJoCo error outside a guarded call: %s\n", msg);
    abort();
  }
  dwm_copy(g->st->msg, DWM_MSGLEN, msg);
  longjmp(g->jb, 1);
}

// MuJoCo calls this on a warning. The text is kept for the guarded call's
// status; the kind is read from d->warning after the call. Nothing is written
// to MUJOCO_LOG.TXT.
static void dwm_on_warning(const char* msg) {
  dwm_guard* g = dwm_top;
  if (g != NULL && g->st->msg[0] == 0) {
    dwm_copy(g->st->msg, DWM_MSGLEN, msg);
  }
}

void dwm_install_handlers(void) {
  mju_user_error = dwm_on_error;
  mju_user_warning = dwm_on_warning;
}

// DWM_TRY sets a guard whose setjmp is in the calling function's own frame:
// a longjmp from MuJoCo returns here with DWM_ERROR (or fail_value).
#define DWM_TRY(status, fail_value)      \
  dwm_guard guard_;                      \
  guard_.st = (status);                  \
  guard_.prev = dwm_top;                 \
  guard_.st->msg[0] = 0;                 \
  guard_.st->warning = -1;               \
  guard_.st->info = 0;                   \
  if (setjmp(guard_.jb) != 0) {          \
    dwm_top = guard_.prev;               \
    return (fail_value);                 \
  }                                      \
  dwm_top = &guard_;

#define DWM_END() dwm_top = guard_.prev;

mjModel* dwm_load_xml(const char* xml, int len, char* err, int errlen) {
  const char* name = "dwm_model.xml";
  err[0] = 0;
  mjVFS* vfs = (mjVFS*)malloc(sizeof(mjVFS));  // about 2 MB: never on the stack
  if (vfs == NULL) {
    dwm_copy(err, errlen, "cannot allocate the MuJoCo VFS");
    return NULL;
  }
  mj_defaultVFS(vfs);
  if (mj_makeEmptyFileVFS(vfs, name, len) != 0) {
    free(vfs);
    dwm_copy(err, errlen, "cannot add the model to the MuJoCo VFS");
    return NULL;
  }
  int i = mj_findFileVFS(vfs, name);
  memcpy(vfs->filedata[i], xml, (size_t)len);
  mjModel* m = mj_loadXML(name, vfs, err, errlen);
  mj_deleteVFS(vfs);
  free(vfs);
  return m;
}

mjModel* dwm_load_file(const char* path, char* err, int errlen) {
  err[0] = 0;
  return mj_loadXML(path, NULL, err, errlen);
}

mjData* dwm_make_data(const mjModel* m, dwm_status* st) {
  DWM_TRY(st, NULL)
  mjData* d = mj_makeData(m);
  DWM_END()
  if (d == NULL) dwm_copy(st->msg, DWM_MSGLEN, "mj_makeData returned NULL");
  return d;
}

int dwm_reset(const mjModel* m, mjData* d, dwm_status* st) {
  DWM_TRY(st, DWM_ERROR)
  mj_resetData(m, d);
  DWM_END()
  return DWM_OK;
}

// dwm_check_warnings reports the first warning counter that is nonzero.
static int dwm_check_warnings(mjData* d, dwm_status* st) {
  for (int i = 0; i < mjNWARNING; i++) {
    if (i == mjWARN_VGEOMFULL) continue;  // visualisation only
    if (d->warning[i].number != 0) {
      st->warning = i;
      st->info = d->warning[i].lastinfo;
      if (st->msg[0] == 0) dwm_copy(st->msg, DWM_MSGLEN, mju_warningText(i, st->info));
      return DWM_WARNING;
    }
  }
  return DWM_OK;
}

static void dwm_clear_warnings(mjData* d) {
  for (int i = 0; i < mjNWARNING; i++) {
    d->warning[i].number = 0;
    d->warning[i].lastinfo = 0;
  }
}

int dwm_forward(const mjModel* m, mjData* d, dwm_status* st) {
  DWM_TRY(st, DWM_ERROR)
  dwm_clear_warnings(d);
  mj_forward(m, d);
  DWM_END()
  return dwm_check_warnings(d, st);
}

int dwm_step(const mjModel* m, mjData* d, int nstep, int rne, dwm_status* st) {
  DWM_TRY(st, DWM_ERROR)
  dwm_clear_warnings(d);
  for (int i = 0; i < nstep; i++) {
    mj_step(m, d);
  }
  if (rne) mj_rnePostConstraint(m, d);
  DWM_END()
  return dwm_check_warnings(d, st);
}

int dwm_set_const(mjModel* m, dwm_status* st) {
  for (int i = 0; i < m->nbody; i++) m->body_subtreemass[i] = m->body_mass[i];
  for (int i = m->nbody - 1; i > 0; i--) {
    m->body_subtreemass[m->body_parentid[i]] += m->body_subtreemass[i];
  }
  mjData* volatile d = NULL;
  DWM_TRY(st, (d != NULL ? (mj_deleteData(d), DWM_ERROR) : DWM_ERROR))
  d = mj_makeData(m);
  if (d != NULL) mj_setConst(m, d);
  DWM_END()
  if (d == NULL) {
    dwm_copy(st->msg, DWM_MSGLEN, "mj_makeData returned NULL");
    return DWM_ERROR;
  }
  mj_deleteData(d);
  return DWM_OK;
}

void dwm_raw_loop(const mjModel* m, mjData* d, const mjtNum* actions, int nactions,
                  long nsteps, int frameskip, int rne, const mjtNum* init, int reset_every) {
  int nu = m->nu;
  for (long t = 0; t < nsteps; t++) {
    if (t % reset_every == 0) {
      mj_resetData(m, d);
      mju_copy(d->qpos, init, m->nq);
      mju_copy(d->qvel, init + m->nq, m->nv);
      mj_forward(m, d);
    }
    mju_copy(d->ctrl, actions + (t % nactions) * nu, nu);
    for (int k = 0; k < frameskip; k++) {
      mj_step(m, d);
    }
    if (rne) mj_rnePostConstraint(m, d);
  }
}

int dwm_raise_error(const char* msg, dwm_status* st) {
  DWM_TRY(st, DWM_ERROR)
  mju_error(msg);
  DWM_END()
  return DWM_OK;
}
