package replay

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"

	"github.com/dwm-rl/dwm/internal/atomicfile"
	"github.com/dwm-rl/dwm/internal/floatio"
)

// Standalone buffer files, for saving a buffer outside a checkpoint
// directory (State/SetState serve checkpoints). Layout, little-endian:
//
//	magic "DWMRPLY\x00", version uint32 (1), flags uint32 (bit 0: MC)
//	capacity, obs_dim, act_dim, pos, len: uint64 each
//	rows [0, len) in ring order, column by column:
//	  obs, act, next_obs, rew, done, then mc if flagged (float32 each)
//	CRC-32C of every preceding byte: uint32
//
// Rows keep their ring positions, so a loaded buffer samples exactly the
// transitions the saved one would for the same random stream.
var fileMagic = [8]byte{'D', 'W', 'M', 'R', 'P', 'L', 'Y', 0}

const (
	fileVersion = 1
	fileHeader  = 8 + 4 + 4 + 5*8
	fileFlagMC  = 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Save writes the buffer's capacity, contents and position to path,
// atomically: a failed save leaves any previous file untouched.
func (b *Buffer) Save(path string) error {
	err := atomicfile.Write(path, func(w io.Writer) error {
		_, err := b.WriteTo(w)
		return err
	})
	if err != nil {
		return fmt.Errorf("save replay buffer: %w", err)
	}
	return nil
}

// WriteTo writes the buffer in the file format Save uses.
func (b *Buffer) WriteTo(w io.Writer) (int64, error) {
	h := crc32.New(castagnoli)
	cw := &countWriter{w: io.MultiWriter(w, h)}
	var hdr [fileHeader]byte
	copy(hdr[:8], fileMagic[:])
	binary.LittleEndian.PutUint32(hdr[8:], fileVersion)
	if b.hasMC {
		binary.LittleEndian.PutUint32(hdr[12:], fileFlagMC)
	}
	for k, v := range []int{b.capacity, b.obsDim, b.actDim, b.pos, b.n} {
		binary.LittleEndian.PutUint64(hdr[16+8*k:], uint64(v))
	}
	cw.Write(hdr[:])
	for _, col := range b.columns(b.n) {
		floatio.Write(cw, col)
	}
	if cw.err != nil {
		return cw.n, cw.err
	}
	var sum [4]byte
	binary.LittleEndian.PutUint32(sum[:], h.Sum32())
	k, err := w.Write(sum[:])
	return cw.n + int64(k), err
}

// columns returns the first n rows of every stored column, in file order.
func (b *Buffer) columns(n int) [][]float32 {
	cols := [][]float32{b.obs[:n*b.obsDim], b.act[:n*b.actDim], b.next[:n*b.obsDim], b.rew[:n], b.done[:n]}
	if b.hasMC {
		cols = append(cols, b.mc[:n])
	}
	return cols
}

// countWriter counts bytes and keeps the first error.
type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	k, err := c.w.Write(p)
	c.n += int64(k)
	c.err = err
	return k, err
}

// Load reads a buffer written by Save: the same capacity, widths, contents,
// position and MC column. The checksum is verified before anything is
// allocated; any damage is an error naming the file.
func Load(path string) (*Buffer, error) {
	b, err := load(path)
	if err != nil {
		return nil, fmt.Errorf("load replay buffer %s: %w", path, err)
	}
	return b, nil
}

func load(path string) (*Buffer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	if size < fileHeader+4 {
		return nil, fmt.Errorf("%d bytes, too short for a replay buffer file", size)
	}
	h := crc32.New(castagnoli)
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, size-4)); err != nil {
		return nil, err
	}
	var sum [4]byte
	if _, err := f.ReadAt(sum[:], size-4); err != nil {
		return nil, err
	}
	if binary.LittleEndian.Uint32(sum[:]) != h.Sum32() {
		return nil, errors.New("checksum mismatch (corrupt or truncated file)")
	}
	r := bufio.NewReaderSize(io.NewSectionReader(f, 0, size-4), 1<<20)
	var hdr [fileHeader]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	if !bytes.Equal(hdr[:8], fileMagic[:]) {
		return nil, fmt.Errorf("not a replay buffer file (starts with %q)", hdr[:8])
	}
	if v := binary.LittleEndian.Uint32(hdr[8:]); v != fileVersion {
		return nil, fmt.Errorf("format version %d, this build reads %d", v, fileVersion)
	}
	flags := binary.LittleEndian.Uint32(hdr[12:])
	if flags&^fileFlagMC != 0 {
		return nil, fmt.Errorf("unknown flags %#x (this build knows only bit 0, MC)", flags)
	}
	hasMC := flags&fileFlagMC != 0
	var v [5]uint64
	for k := range v {
		v[k] = binary.LittleEndian.Uint64(hdr[16+8*k:])
	}
	capacity, obsDim, actDim, pos, n := v[0], v[1], v[2], v[3], v[4]
	const lim = 1 << 40
	if capacity < 1 || obsDim < 1 || actDim < 1 || capacity > lim || obsDim > lim || actDim > lim || capacity*(2*obsDim+actDim+3) > lim {
		return nil, fmt.Errorf("implausible capacity %d, obs dim %d, act dim %d", capacity, obsDim, actDim)
	}
	if n > capacity || pos >= capacity || (n < capacity && pos != n) {
		return nil, fmt.Errorf("position %d and length %d inconsistent with capacity %d", pos, n, capacity)
	}
	row := 4 * (2*obsDim + actDim + 2)
	if hasMC {
		row += 4
	}
	if want := fileHeader + n*row + 4; want != uint64(size) {
		return nil, fmt.Errorf("file has %d bytes, its header implies %d", size, want)
	}
	b, err := New(int(capacity), int(obsDim), int(actDim), hasMC)
	if err != nil {
		return nil, err
	}
	for _, col := range b.columns(int(n)) {
		if err := floatio.Read(r, col); err != nil {
			return nil, err
		}
	}
	for i, d := range b.done[:n] {
		if d != 0 && d != 1 {
			return nil, fmt.Errorf("done[%d] is %v, want 0 or 1", i, d)
		}
	}
	b.pos, b.n = int(pos), int(n)
	return b, nil
}
