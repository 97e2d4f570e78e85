package digest

import (
	"bytes"
	"testing"
)

func TestFloatsAndBools(t *testing.T) {
	var a, b bytes.Buffer
	long := make([]float32, 3000) // more than one block
	long[2999] = 1.5
	Floats(&a, long)
	if a.Len() != 4*3000 || !bytes.Equal(a.Bytes()[4*2999:], []byte{0, 0, 0xc0, 0x3f}) {
		t.Fatalf("Floats wrote %d bytes ending %v", a.Len(), a.Bytes()[a.Len()-4:])
	}
	Bools(&b, []bool{true, false, true}, 3)
	Bools(&b, nil, 2)
	if !bytes.Equal(b.Bytes(), []byte{1, 0, 1, 0, 0}) {
		t.Fatalf("Bools wrote %v", b.Bytes())
	}
}
