package floatio

import (
	"bytes"
	"slices"
	"testing"
)

func TestRoundTripAndBools(t *testing.T) {
	var a, b bytes.Buffer
	long := make([]float32, 3000) // more than one block
	long[2999], long[7] = 1.5, -2
	Write(&a, long)
	if a.Len() != 4*3000 || !bytes.Equal(a.Bytes()[4*2999:], []byte{0, 0, 0xc0, 0x3f}) {
		t.Fatalf("Write wrote %d bytes ending %v", a.Len(), a.Bytes()[a.Len()-4:])
	}
	back := make([]float32, 3000)
	if err := Read(&a, back); err != nil || !slices.Equal(back, long) {
		t.Fatalf("Read: %v, equal %v", err, slices.Equal(back, long))
	}
	if err := Read(&a, back[:1]); err == nil {
		t.Fatal("Read past the end succeeded")
	}
	WriteBools(&b, []bool{true, false, true}, 3)
	WriteBools(&b, nil, 2)
	if !bytes.Equal(b.Bytes(), []byte{1, 0, 1, 0, 0}) {
		t.Fatalf("WriteBools wrote %v", b.Bytes())
	}
}
