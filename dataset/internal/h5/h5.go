//go:build cgo && !nohdf5

package h5

/*
#cgo pkg-config: hdf5
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DWM_ERRLEN 1024

// quiet stops HDF5 printing error stacks for the calling thread.
static void quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *data) {
	char *buf = (char *)data;
	size_t len = strlen(buf);
	if (len + 8 >= DWM_ERRLEN) return 0;
	snprintf(buf + len, DWM_ERRLEN - len, "%s%s: %s", len ? "; " : "",
		e->func_name ? e->func_name : "?", e->desc ? e->desc : "?");
	return 0;
}

// capture moves the calling thread's HDF5 error stack into err (DWM_ERRLEN
// bytes) and clears it.
static void capture(char *err) {
	err[0] = 0;
	H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, walk_cb, err);
	H5Eclear2(H5E_DEFAULT);
	if (!err[0]) snprintf(err, DWM_ERRLEN, "unknown HDF5 error");
}

static hid_t dwm_fopen(const char *path, char *err) {
	quiet();
	hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
	if (fapl < 0) { capture(err); return -1; }
	// Strong close: closing the file closes every object still open in it.
	H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG);
	hid_t f = H5Fopen(path, H5F_ACC_RDONLY, fapl);
	// Every API call clears the error stack: capture before closing fapl.
	if (f < 0) capture(err);
	H5Pclose(fapl);
	return f;
}

static int dwm_close(hid_t id, char *err) {
	quiet();
	herr_t r;
	switch (H5Iget_type(id)) {
	case H5I_FILE: r = H5Fclose(id); break;
	case H5I_GROUP: r = H5Gclose(id); break;
	case H5I_DATASET: r = H5Dclose(id); break;
	case H5I_ATTR: r = H5Aclose(id); break;
	case H5I_DATATYPE: r = H5Tclose(id); break;
	default: r = H5Oclose(id);
	}
	if (r < 0) { capture(err); return -1; }
	return 0;
}

// dwm_exists: 1 if the link name exists in loc, 0 if not, -1 on error.
static int dwm_exists(hid_t loc, const char *name, char *err) {
	quiet();
	htri_t r = H5Lexists(loc, name, H5P_DEFAULT);
	if (r < 0) { capture(err); return -1; }
	return r > 0;
}

// dwm_kind: 1 group, 2 dataset, 3 other, -1 error.
static int dwm_kind(hid_t loc, const char *name, char *err) {
	quiet();
	hid_t o = H5Oopen(loc, name, H5P_DEFAULT);
	if (o < 0) { capture(err); return -1; }
	H5I_type_t t = H5Iget_type(o);
	H5Oclose(o);
	return t == H5I_GROUP ? 1 : t == H5I_DATASET ? 2 : 3;
}

static hid_t dwm_gopen(hid_t loc, const char *name, char *err) {
	quiet();
	hid_t g = H5Gopen2(loc, name, H5P_DEFAULT);
	if (g < 0) capture(err);
	return g;
}

static hid_t dwm_dopen(hid_t loc, const char *name, char *err) {
	quiet();
	hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
	if (d < 0) capture(err);
	return d;
}

static hid_t dwm_oopen(hid_t loc, const char *name, char *err) {
	quiet();
	hid_t o = H5Oopen(loc, name, H5P_DEFAULT);
	if (o < 0) capture(err);
	return o;
}

static int dwm_nlinks(hid_t g, hsize_t *n, char *err) {
	quiet();
	H5G_info_t info;
	if (H5Gget_info(g, &info) < 0) { capture(err); return -1; }
	*n = info.nlinks;
	return 0;
}

// dwm_link_name writes the name of link idx (name order) into buf and
// returns its length, which may exceed cap-1 (then call again); -1 on error.
static long long dwm_link_name(hid_t g, hsize_t idx, char *buf, size_t cap, char *err) {
	quiet();
	ssize_t n = H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, idx, buf, cap, H5P_DEFAULT);
	if (n < 0) { capture(err); return -1; }
	return (long long)n;
}

// dwm_type_info fills class (1 int, 2 float, 3 string, 4 enum, 0 other),
// size, sign and vlen for a datatype.
static int dwm_type_info(hid_t t, int *cls, size_t *size, int *sign, int *vlen, char *err) {
	H5T_class_t c = H5Tget_class(t);
	if (c == H5T_NO_CLASS) { capture(err); return -1; }
	*cls = c == H5T_INTEGER ? 1 : c == H5T_FLOAT ? 2 : c == H5T_STRING ? 3 : c == H5T_ENUM ? 4 : 0;
	*size = H5Tget_size(t);
	if (*size == 0) { capture(err); return -1; }
	*sign = 0;
	if (c == H5T_INTEGER) *sign = H5Tget_sign(t) == H5T_SGN_2;
	*vlen = 0;
	if (c == H5T_STRING) {
		htri_t v = H5Tis_variable_str(t);
		if (v < 0) { capture(err); return -1; }
		*vlen = v > 0;
	}
	return 0;
}

// dwm_dinfo describes dataset d: rank and dims (up to 32), null space, type,
// and its storage: layout (0 compact, 1 contiguous, 2 chunked, 3 virtual),
// elements per chunk (saturating at 2^62), and the number of external files.
static int dwm_dinfo(hid_t d, int *rank, hsize_t *dims, int *null, int *cls, size_t *size, int *sign, int *vlen,
		int *layout, unsigned long long *chunk, int *external, char *err) {
	quiet();
	*layout = -1;
	*chunk = 0;
	*external = 0;
	hid_t pl = H5Dget_create_plist(d);
	if (pl < 0) { capture(err); return -1; }
	H5D_layout_t lay = H5Pget_layout(pl);
	*layout = lay == H5D_COMPACT ? 0 : lay == H5D_CONTIGUOUS ? 1 : lay == H5D_CHUNKED ? 2 : lay == H5D_VIRTUAL ? 3 : -1;
	if (lay == H5D_CHUNKED) {
		hsize_t cd[32];
		int cr = H5Pget_chunk(pl, 32, cd);
		if (cr < 0) { capture(err); H5Pclose(pl); return -1; }
		unsigned long long c = 1;
		for (int i = 0; i < cr && i < 32; i++) {
			if (cd[i] != 0 && c > (1ULL << 62) / cd[i]) { c = 1ULL << 62; break; }
			c *= cd[i];
		}
		*chunk = c;
	}
	int ext = H5Pget_external_count(pl);
	if (ext < 0) { capture(err); H5Pclose(pl); return -1; }
	*external = ext;
	H5Pclose(pl);
	hid_t s = H5Dget_space(d);
	if (s < 0) { capture(err); return -1; }
	H5S_class_t sc = H5Sget_simple_extent_type(s);
	*null = sc == H5S_NULL;
	int r = 0;
	if (sc == H5S_SIMPLE) {
		r = H5Sget_simple_extent_ndims(s);
		if (r < 0 || r > 32) { if (r < 0) capture(err); else snprintf(err, DWM_ERRLEN, "rank %d > 32", r); H5Sclose(s); return -1; }
		if (H5Sget_simple_extent_dims(s, dims, NULL) < 0) { capture(err); H5Sclose(s); return -1; }
	} else if (sc != H5S_SCALAR && sc != H5S_NULL) {
		capture(err); H5Sclose(s); return -1;
	}
	H5Sclose(s);
	*rank = r;
	hid_t t = H5Dget_type(d);
	if (t < 0) { capture(err); return -1; }
	int rc = dwm_type_info(t, cls, size, sign, vlen, err);
	H5Tclose(t);
	return rc;
}

// dwm_dread reads all n elements of dataset d into buf as memory type kind:
// 0 native float, 1 native double, 2 the file type's native equivalent of
// elemsize bytes (raw 1-byte integers and enums).
static int dwm_dread(hid_t d, int kind, void *buf, hsize_t n, size_t elemsize, char *err) {
	quiet();
	hid_t s = H5Dget_space(d);
	if (s < 0) { capture(err); return -1; }
	hssize_t np = H5Sget_simple_extent_npoints(s);
	H5Sclose(s);
	if (np < 0) { capture(err); return -1; }
	if ((hsize_t)np != n) { snprintf(err, DWM_ERRLEN, "dataset has %lld elements, expected %llu", (long long)np, (unsigned long long)n); return -1; }
	if (n == 0) return 0;
	hid_t mt;
	if (kind == 0) mt = H5Tcopy(H5T_NATIVE_FLOAT);
	else if (kind == 1) mt = H5Tcopy(H5T_NATIVE_DOUBLE);
	else {
		hid_t ft = H5Dget_type(d);
		if (ft < 0) { capture(err); return -1; }
		mt = H5Tget_native_type(ft, H5T_DIR_ASCEND);
		if (mt < 0) capture(err);
		H5Tclose(ft);
		if (mt < 0) return -1;
	}
	if (mt < 0) { capture(err); return -1; }
	if (kind == 2 && H5Tget_size(mt) != elemsize) {
		snprintf(err, DWM_ERRLEN, "native element size %zu, expected %zu", H5Tget_size(mt), elemsize);
		H5Tclose(mt);
		return -1;
	}
	herr_t r = H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
	H5Tclose(mt);
	if (r < 0) { capture(err); return -1; }
	return 0;
}

// dwm_text reads a one-element dataset (is_attr 0) or attribute (1) as text:
// kind 1 string (*sval malloc'd, caller frees), 2 integer (*ival), 3 float
// (*dval), 0 anything else (skipped). -1 on error.
static int dwm_text(hid_t o, int is_attr, char **sval, long long *ival, double *dval, int *kind, char *err) {
	quiet();
	*kind = 0;
	*sval = NULL;
	hid_t s = is_attr ? H5Aget_space(o) : H5Dget_space(o);
	if (s < 0) { capture(err); return -1; }
	hssize_t np = H5Sget_simple_extent_npoints(s);
	H5S_class_t sc = H5Sget_simple_extent_type(s);
	if (np != 1 || sc == H5S_NULL) { H5Sclose(s); return 0; }
	hid_t t = is_attr ? H5Aget_type(o) : H5Dget_type(o);
	if (t < 0) { capture(err); H5Sclose(s); return -1; }
	H5T_class_t c = H5Tget_class(t);
	int rc = 0;
	if (c == H5T_STRING) {
		htri_t v = H5Tis_variable_str(t);
		if (v < 0) { capture(err); H5Tclose(t); H5Sclose(s); return -1; }
		hid_t mt = H5Tcopy(H5T_C_S1);
		H5Tset_cset(mt, H5Tget_cset(t) == H5T_CSET_UTF8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII);
		if (v > 0) {
			H5Tset_size(mt, H5T_VARIABLE);
			char *p = NULL;
			herr_t r = is_attr ? H5Aread(o, mt, &p) : H5Dread(o, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, &p);
			if (r < 0) { capture(err); rc = -1; }
			else {
				*sval = strdup(p ? p : "");
				*kind = 1;
				if (p) H5free_memory(p);
			}
		} else if (v == 0) {
			size_t n = H5Tget_size(t);
			if (n > (1 << 20)) { snprintf(err, DWM_ERRLEN, "fixed string of %zu bytes too long", n); rc = -1; }
			else {
				H5Tset_size(mt, n + 1);
				H5Tset_strpad(mt, H5T_STR_NULLTERM);
				char *p = calloc(n + 2, 1);
				herr_t r = is_attr ? H5Aread(o, mt, p) : H5Dread(o, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, p);
				if (r < 0) { capture(err); free(p); rc = -1; }
				else { *sval = p; *kind = 1; }
			}
		} else { capture(err); rc = -1; }
		H5Tclose(mt);
	} else if ((c == H5T_INTEGER || c == H5T_FLOAT) && H5Tget_size(t) > 16) {
		// A number wider than 16 bytes is a corrupt type; converting it would
		// make the library allocate buffers of that width. Skip it.
	} else if (c == H5T_INTEGER) {
		hid_t mt = H5Tcopy(H5T_NATIVE_LLONG);
		herr_t r = is_attr ? H5Aread(o, mt, ival) : H5Dread(o, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, ival);
		H5Tclose(mt);
		if (r < 0) { capture(err); rc = -1; } else *kind = 2;
	} else if (c == H5T_FLOAT) {
		hid_t mt = H5Tcopy(H5T_NATIVE_DOUBLE);
		herr_t r = is_attr ? H5Aread(o, mt, dval) : H5Dread(o, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, dval);
		H5Tclose(mt);
		if (r < 0) { capture(err); rc = -1; } else *kind = 3;
	}
	H5Tclose(t);
	H5Sclose(s);
	return rc;
}

static int dwm_nattrs(hid_t o, hsize_t *n, char *err) {
	quiet();
	H5O_info_t info;
	if (H5Oget_info2(o, &info, H5O_INFO_NUM_ATTRS) < 0) { capture(err); return -1; }
	*n = info.num_attrs;
	return 0;
}

// dwm_aopen opens attribute idx (name order) of o and writes its name into
// buf (truncated to cap-1 bytes).
static hid_t dwm_aopen(hid_t o, hsize_t idx, char *buf, size_t cap, char *err) {
	quiet();
	hid_t a = H5Aopen_by_idx(o, ".", H5_INDEX_NAME, H5_ITER_INC, idx, H5P_DEFAULT, H5P_DEFAULT);
	if (a < 0) { capture(err); return -1; }
	if (H5Aget_name(a, cap, buf) < 0) { capture(err); H5Aclose(a); return -1; }
	return a;
}

// dwm_fcreate_mem creates a file in memory (core driver, no backing store)
// growing in steps of increment bytes.
static hid_t dwm_fcreate_mem(const char *name, size_t increment, char *err) {
	quiet();
	hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
	if (fapl < 0) { capture(err); return -1; }
	if (H5Pset_fapl_core(fapl, increment, 0) < 0) { capture(err); H5Pclose(fapl); return -1; }
	H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG);
	hid_t f = H5Fcreate(name, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
	if (f < 0) capture(err);
	H5Pclose(fapl);
	return f;
}

static int dwm_gcreate(hid_t loc, const char *name, char *err) {
	quiet();
	hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
	H5Pset_create_intermediate_group(lcpl, 1);
	hid_t g = H5Gcreate2(loc, name, lcpl, H5P_DEFAULT, H5P_DEFAULT);
	if (g < 0) capture(err);
	H5Pclose(lcpl);
	if (g < 0) return -1;
	H5Gclose(g);
	return 0;
}

// dwm_new_type returns the memory (file=0) or file (file=1) type of a kind:
// 0 float32, 1 float64, 2 h5py's bool (enum of int8 FALSE=0, TRUE=1),
// 3 int64, 4 uint8, 5 int32, 6 int8.
static hid_t dwm_new_type(int kind, int file) {
	switch (kind) {
	case 0: return H5Tcopy(file ? H5T_IEEE_F32LE : H5T_NATIVE_FLOAT);
	case 1: return H5Tcopy(file ? H5T_IEEE_F64LE : H5T_NATIVE_DOUBLE);
	case 2: {
		hid_t t = H5Tenum_create(H5T_NATIVE_SCHAR);
		if (t < 0) return t;
		signed char v = 0;
		H5Tenum_insert(t, "FALSE", &v);
		v = 1;
		H5Tenum_insert(t, "TRUE", &v);
		return t;
	}
	case 3: return H5Tcopy(file ? H5T_STD_I64LE : H5T_NATIVE_LLONG);
	case 4: return H5Tcopy(file ? H5T_STD_U8LE : H5T_NATIVE_UCHAR);
	case 5: return H5Tcopy(file ? H5T_STD_I32LE : H5T_NATIVE_INT);
	case 6: return H5Tcopy(file ? H5T_STD_I8LE : H5T_NATIVE_SCHAR);
	}
	return -1;
}

// dwm_dwrite creates dataset name (with intermediate groups) of the given
// kind and shape and writes buf into it. Modification times are not
// recorded, so equal data gives equal bytes.
static int dwm_dwrite(hid_t loc, const char *name, int kind, int rank, const hsize_t *dims, const void *buf, char *err) {
	quiet();
	int rc = -1;
	hid_t ft = -1, mt = -1, s = -1, lcpl = -1, dcpl = -1, d = -1;
	if ((ft = dwm_new_type(kind, 1)) < 0 || (mt = dwm_new_type(kind, 0)) < 0) { capture(err); goto done; }
	if ((s = rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, dims, NULL)) < 0) { capture(err); goto done; }
	if ((lcpl = H5Pcreate(H5P_LINK_CREATE)) < 0 || (dcpl = H5Pcreate(H5P_DATASET_CREATE)) < 0) { capture(err); goto done; }
	H5Pset_create_intermediate_group(lcpl, 1);
	H5Pset_obj_track_times(dcpl, 0);
	d = H5Dcreate2(loc, name, ft, s, lcpl, dcpl, H5P_DEFAULT);
	if (d < 0) { capture(err); goto done; }
	hssize_t np = H5Sget_simple_extent_npoints(s);
	if (np > 0 && H5Dwrite(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) { capture(err); goto done; }
	rc = 0;
done:
	if (d >= 0) H5Dclose(d);
	if (dcpl >= 0) H5Pclose(dcpl);
	if (lcpl >= 0) H5Pclose(lcpl);
	if (s >= 0) H5Sclose(s);
	if (mt >= 0) H5Tclose(mt);
	if (ft >= 0) H5Tclose(ft);
	return rc;
}

// dwm_str_type returns a variable-length UTF-8 string type, h5py's str.
static hid_t dwm_str_type(void) {
	hid_t t = H5Tcopy(H5T_C_S1);
	if (t < 0) return t;
	H5Tset_size(t, H5T_VARIABLE);
	H5Tset_cset(t, H5T_CSET_UTF8);
	return t;
}

// dwm_write_str creates a scalar variable-length UTF-8 string dataset.
static int dwm_write_str(hid_t loc, const char *name, const char *val, char *err) {
	quiet();
	int rc = -1;
	hid_t t = -1, s = -1, d = -1, lcpl = -1, dcpl = -1;
	if ((t = dwm_str_type()) < 0 || (s = H5Screate(H5S_SCALAR)) < 0) { capture(err); goto done; }
	if ((lcpl = H5Pcreate(H5P_LINK_CREATE)) < 0 || (dcpl = H5Pcreate(H5P_DATASET_CREATE)) < 0) { capture(err); goto done; }
	H5Pset_create_intermediate_group(lcpl, 1);
	H5Pset_obj_track_times(dcpl, 0);
	d = H5Dcreate2(loc, name, t, s, lcpl, dcpl, H5P_DEFAULT);
	if (d < 0) { capture(err); goto done; }
	if (H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &val) < 0) { capture(err); goto done; }
	rc = 0;
done:
	if (d >= 0) H5Dclose(d);
	if (dcpl >= 0) H5Pclose(dcpl);
	if (lcpl >= 0) H5Pclose(lcpl);
	if (s >= 0) H5Sclose(s);
	if (t >= 0) H5Tclose(t);
	return rc;
}

// dwm_set_attr_str sets a scalar variable-length UTF-8 string attribute on
// the object at path obj.
static int dwm_set_attr_str(hid_t loc, const char *obj, const char *name, const char *val, char *err) {
	quiet();
	int rc = -1;
	hid_t o = -1, t = -1, s = -1, a = -1;
	if ((o = H5Oopen(loc, obj, H5P_DEFAULT)) < 0) { capture(err); goto done; }
	if ((t = dwm_str_type()) < 0) { capture(err); goto done; }
	if ((s = H5Screate(H5S_SCALAR)) < 0) { capture(err); goto done; }
	a = H5Acreate2(o, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
	if (a < 0) { capture(err); goto done; }
	if (H5Awrite(a, t, &val) < 0) { capture(err); goto done; }
	rc = 0;
done:
	if (a >= 0) H5Aclose(a);
	if (s >= 0) H5Sclose(s);
	if (t >= 0) H5Tclose(t);
	if (o >= 0) H5Oclose(o);
	return rc;
}

// dwm_image flushes f and copies its image into buf (size bytes); with buf
// NULL it returns the size needed. -1 on error.
static long long dwm_image(hid_t f, void *buf, size_t size, char *err) {
	quiet();
	if (H5Fflush(f, H5F_SCOPE_GLOBAL) < 0) { capture(err); return -1; }
	ssize_t n = H5Fget_file_image(f, buf, size);
	if (n < 0) { capture(err); return -1; }
	return (long long)n;
}
*/
import "C"

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"unsafe"
)

// errBuf is a C buffer for one helper's error message.
type errBuf [C.DWM_ERRLEN]C.char

func (e *errBuf) ptr() *C.char { return &e[0] }

func (e *errBuf) err(op string) error {
	return fmt.Errorf("%s: %s", op, C.GoString(e.ptr()))
}

// File is an HDF5 file open for reading. It is not safe for concurrent use.
type File struct {
	id   C.hid_t
	size int64
}

// Open opens path read-only.
func Open(path string) (*File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a directory", path)
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var e errBuf
	id := C.dwm_fopen(cpath, e.ptr())
	if id < 0 {
		return nil, e.err("open")
	}
	return &File{id: id, size: st.Size()}, nil
}

// Size returns the file's size in bytes.
func (f *File) Size() int64 { return f.size }

// Close closes the file and everything opened in it.
func (f *File) Close() error {
	if f.id < 0 {
		return nil
	}
	var e errBuf
	r := C.dwm_close(f.id, e.ptr())
	f.id = -1
	if r < 0 {
		return e.err("close")
	}
	return nil
}

func closeID(id C.hid_t) {
	var e errBuf
	C.dwm_close(id, e.ptr())
}

// Kind reports what path names. Every component of path is checked in turn,
// so a missing intermediate group gives Missing rather than an error.
func (f *File) Kind(path string) (Kind, error) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	var e errBuf
	for i := range parts {
		p := C.CString(strings.Join(parts[:i+1], "/"))
		r := C.dwm_exists(f.id, p, e.ptr())
		C.free(unsafe.Pointer(p))
		if r < 0 {
			return Missing, e.err("look up " + path)
		}
		if r == 0 {
			return Missing, nil
		}
	}
	p := C.CString(path)
	defer C.free(unsafe.Pointer(p))
	switch C.dwm_kind(f.id, p, e.ptr()) {
	case 1:
		return Group, nil
	case 2:
		return Dataset, nil
	case 3:
		return Other, nil
	}
	return Missing, e.err("open " + path)
}

// maxLinks bounds the links read from one group: more is a corrupt file.
const maxLinks = 1 << 24

// Children returns the names of the links in group, in name order.
func (f *File) Children(group string) ([]string, error) {
	p := C.CString(group)
	defer C.free(unsafe.Pointer(p))
	var e errBuf
	g := C.dwm_gopen(f.id, p, e.ptr())
	if g < 0 {
		return nil, e.err("open group " + group)
	}
	defer closeID(g)
	var n C.hsize_t
	if C.dwm_nlinks(g, &n, e.ptr()) < 0 {
		return nil, e.err("list group " + group)
	}
	if n > maxLinks {
		return nil, fmt.Errorf("list group %s: %d links", group, uint64(n))
	}
	names := make([]string, 0, min(int(n), 1024))
	buf := make([]byte, 256)
	for i := C.hsize_t(0); i < n; i++ {
		for {
			k := C.dwm_link_name(g, i, (*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)), e.ptr())
			if k < 0 {
				return nil, e.err("list group " + group)
			}
			if int(k) < len(buf) {
				names = append(names, string(buf[:k]))
				break
			}
			if k > 1<<16 {
				return nil, fmt.Errorf("list group %s: link name of %d bytes", group, int64(k))
			}
			buf = make([]byte, int(k)+1)
		}
	}
	return names, nil
}

func (f *File) openDataset(path string) (C.hid_t, error) {
	p := C.CString(path)
	defer C.free(unsafe.Pointer(p))
	var e errBuf
	d := C.dwm_dopen(f.id, p, e.ptr())
	if d < 0 {
		return -1, e.err("open dataset " + path)
	}
	return d, nil
}

// Info describes the dataset at path.
func (f *File) Info(path string) (Info, error) {
	d, err := f.openDataset(path)
	if err != nil {
		return Info{}, err
	}
	defer closeID(d)
	var (
		rank, null, cls, sign, vlen, layout, external C.int
		dims                                          [32]C.hsize_t
		size                                          C.size_t
		chunk                                         C.ulonglong
		e                                             errBuf
	)
	if C.dwm_dinfo(d, &rank, &dims[0], &null, &cls, &size, &sign, &vlen, &layout, &chunk, &external, e.ptr()) < 0 {
		return Info{}, e.err("inspect " + path)
	}
	info := Info{Null: null != 0, Size: int(size), Signed: sign != 0, VarString: vlen != 0, Shape: []int{},
		Layout: Layout(layout), ChunkElems: uint64(chunk), External: external > 0}
	info.Class = [...]Class{ClassOther, ClassInteger, ClassFloat, ClassString, ClassEnum}[int(cls)]
	total := uint64(1)
	for i := range int(rank) {
		v := uint64(dims[i])
		if v > 1<<40 || (v > 0 && total > (1<<40)/v) {
			return Info{}, fmt.Errorf("inspect %s: dimensions %v too large", path, dims[:rank])
		}
		total *= v
		info.Shape = append(info.Shape, int(v))
	}
	return info, nil
}

// ReadFloat32 reads every element of the dataset at path, converted by HDF5
// to float32, into dst (len(dst) must equal the element count).
func (f *File) ReadFloat32(path string, dst []float32) error {
	return f.read(path, 0, unsafe.Pointer(unsafe.SliceData(dst)), len(dst), 4)
}

// ReadFloat64 reads every element, converted by HDF5 to float64 (integer and
// float datasets), into dst.
func (f *File) ReadFloat64(path string, dst []float64) error {
	return f.read(path, 1, unsafe.Pointer(unsafe.SliceData(dst)), len(dst), 8)
}

// ReadRaw1 reads a dataset of 1-byte integers or 1-byte-based enums as raw
// bytes: the stored integer values, unconverted.
func (f *File) ReadRaw1(path string, dst []byte) error {
	return f.read(path, 2, unsafe.Pointer(unsafe.SliceData(dst)), len(dst), 1)
}

func (f *File) read(path string, kind C.int, buf unsafe.Pointer, n, elemSize int) error {
	d, err := f.openDataset(path)
	if err != nil {
		return err
	}
	defer closeID(d)
	var e errBuf
	if n == 0 {
		buf = nil
	}
	if C.dwm_dread(d, kind, buf, C.hsize_t(n), C.size_t(elemSize), e.ptr()) < 0 {
		return e.err("read " + path)
	}
	return nil
}

// text renders a one-element dataset or attribute; ok is false for other
// shapes and types.
func text(o C.hid_t, isAttr C.int, what string) (string, bool, error) {
	var (
		s    *C.char
		iv   C.longlong
		dv   C.double
		kind C.int
		e    errBuf
	)
	if C.dwm_text(o, isAttr, &s, &iv, &dv, &kind, e.ptr()) < 0 {
		return "", false, e.err("read " + what)
	}
	switch kind {
	case 1:
		defer C.free(unsafe.Pointer(s))
		return C.GoString(s), true, nil
	case 2:
		return strconv.FormatInt(int64(iv), 10), true, nil
	case 3:
		return strconv.FormatFloat(float64(dv), 'g', -1, 64), true, nil
	}
	return "", false, nil
}

// ReadText returns a one-element string or numeric dataset as text; ok is
// false for any other dataset.
func (f *File) ReadText(path string) (s string, ok bool, err error) {
	d, err := f.openDataset(path)
	if err != nil {
		return "", false, err
	}
	defer closeID(d)
	return text(d, 0, path)
}

// Attrs returns the text-valued attributes of the object at path (see
// Attr), in name order.
func (f *File) Attrs(path string) ([]Attr, error) {
	p := C.CString(path)
	defer C.free(unsafe.Pointer(p))
	var e errBuf
	o := C.dwm_oopen(f.id, p, e.ptr())
	if o < 0 {
		return nil, e.err("open " + path)
	}
	defer closeID(o)
	var n C.hsize_t
	if C.dwm_nattrs(o, &n, e.ptr()) < 0 {
		return nil, e.err("attributes of " + path)
	}
	if n > maxLinks {
		return nil, fmt.Errorf("attributes of %s: %d attributes", path, uint64(n))
	}
	var out []Attr
	name := make([]byte, 1024)
	for i := C.hsize_t(0); i < n; i++ {
		a := C.dwm_aopen(o, i, (*C.char)(unsafe.Pointer(&name[0])), C.size_t(len(name)), e.ptr())
		if a < 0 {
			return nil, e.err("attributes of " + path)
		}
		nm := C.GoString((*C.char)(unsafe.Pointer(&name[0])))
		v, ok, err := text(a, 1, path+" attribute "+nm)
		closeID(a)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, Attr{Name: nm, Value: v})
		}
	}
	return out, nil
}

// Writer builds an HDF5 file in memory. It is not safe for concurrent use.
type Writer struct {
	id C.hid_t
}

// NewWriter starts an empty in-memory file. name only identifies it to the
// library (two writers open at once need different names). sizeHint, the
// expected file size in bytes, sets how the memory grows (one step of at
// least 1 MiB if the hint is right).
func NewWriter(name string, sizeHint int64) (*Writer, error) {
	p := C.CString(name)
	defer C.free(unsafe.Pointer(p))
	var e errBuf
	inc := max(sizeHint+sizeHint/16+64<<10, 1<<20)
	id := C.dwm_fcreate_mem(p, C.size_t(inc), e.ptr())
	if id < 0 {
		return nil, e.err("create in-memory file")
	}
	return &Writer{id: id}, nil
}

// Close discards the in-memory file.
func (w *Writer) Close() error {
	if w.id < 0 {
		return nil
	}
	var e errBuf
	r := C.dwm_close(w.id, e.ptr())
	w.id = -1
	if r < 0 {
		return e.err("close in-memory file")
	}
	return nil
}

// CreateGroup creates a group (and any missing parents).
func (w *Writer) CreateGroup(path string) error {
	p := C.CString(path)
	defer C.free(unsafe.Pointer(p))
	var e errBuf
	if C.dwm_gcreate(w.id, p, e.ptr()) < 0 {
		return e.err("create group " + path)
	}
	return nil
}

// Element kinds for Write.
const (
	kindFloat32 = 0
	kindFloat64 = 1
	kindBool    = 2
	kindInt64   = 3
	kindUint8   = 4
	kindInt32   = 5
	kindInt8    = 6
)

// Write creates the dataset path (and missing parent groups) with the shape
// and element type of data and writes data into it. data is one of
// []float32, []float64, []bool (stored as h5py stores bools: an enum of int8
// FALSE=0, TRUE=1), []int64, []uint8, []int32, []int8. An empty shape makes
// a scalar. It returns an error if the element count differs from the shape.
func (w *Writer) Write(path string, data any, shape []int) error {
	var (
		kind C.int
		ptr  unsafe.Pointer
		n    int
	)
	switch v := data.(type) {
	case []float32:
		kind, ptr, n = kindFloat32, unsafe.Pointer(unsafe.SliceData(v)), len(v)
	case []float64:
		kind, ptr, n = kindFloat64, unsafe.Pointer(unsafe.SliceData(v)), len(v)
	case []bool:
		kind, ptr, n = kindBool, unsafe.Pointer(unsafe.SliceData(v)), len(v)
	case []int64:
		kind, ptr, n = kindInt64, unsafe.Pointer(unsafe.SliceData(v)), len(v)
	case []uint8:
		kind, ptr, n = kindUint8, unsafe.Pointer(unsafe.SliceData(v)), len(v)
	case []int32:
		kind, ptr, n = kindInt32, unsafe.Pointer(unsafe.SliceData(v)), len(v)
	case []int8:
		kind, ptr, n = kindInt8, unsafe.Pointer(unsafe.SliceData(v)), len(v)
	default:
		return fmt.Errorf("write %s: unsupported data type %T", path, data)
	}
	want := 1
	dims := make([]C.hsize_t, max(len(shape), 1))
	for i, s := range shape {
		if s < 0 {
			return fmt.Errorf("write %s: negative dimension in shape %v", path, shape)
		}
		want *= s
		dims[i] = C.hsize_t(s)
	}
	if want != n {
		return fmt.Errorf("write %s: %d elements for shape %v", path, n, shape)
	}
	if n == 0 {
		ptr = nil
	}
	p := C.CString(path)
	defer C.free(unsafe.Pointer(p))
	var e errBuf
	if C.dwm_dwrite(w.id, p, kind, C.int(len(shape)), &dims[0], ptr, e.ptr()) < 0 {
		return e.err("write " + path)
	}
	return nil
}

// WriteString creates a scalar variable-length UTF-8 string dataset, as
// h5py stores a Python str.
func (w *Writer) WriteString(path, value string) error {
	p, v := C.CString(path), C.CString(value)
	defer C.free(unsafe.Pointer(p))
	defer C.free(unsafe.Pointer(v))
	var e errBuf
	if C.dwm_write_str(w.id, p, v, e.ptr()) < 0 {
		return e.err("write " + path)
	}
	return nil
}

// SetAttr sets a variable-length UTF-8 string attribute on the object at
// path ("/" for the root group).
func (w *Writer) SetAttr(path, name, value string) error {
	p, nm, v := C.CString(path), C.CString(name), C.CString(value)
	defer C.free(unsafe.Pointer(p))
	defer C.free(unsafe.Pointer(nm))
	defer C.free(unsafe.Pointer(v))
	var e errBuf
	if C.dwm_set_attr_str(w.id, p, nm, v, e.ptr()) < 0 {
		return e.err("set attribute " + name + " on " + path)
	}
	return nil
}

// Bytes flushes the file and returns its complete image.
func (w *Writer) Bytes() ([]byte, error) {
	var e errBuf
	n := C.dwm_image(w.id, nil, 0, e.ptr())
	if n < 0 {
		return nil, e.err("file image")
	}
	buf := make([]byte, int(n))
	if len(buf) == 0 {
		return nil, fmt.Errorf("file image: empty")
	}
	m := C.dwm_image(w.id, unsafe.Pointer(&buf[0]), C.size_t(len(buf)), e.ptr())
	if m < 0 {
		return nil, e.err("file image")
	}
	return buf[:int(m)], nil
}
