package agent

import (
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/replay"
)

func TestActRows(t *testing.T) {
	for _, c := range []struct {
		name        string
		obs, act    int
		single      bool
		want        int
		wantErrPart string
	}{
		{"one row", 3, 2, true, 1, ""},
		{"one row, short action", 3, 1, true, 0, "x: act: observation of 3 values and action of 1, want 3 and 2"},
		{"batch of 4", 12, 8, false, 4, ""},
		{"batch, partial row", 13, 8, false, 0, "x: act batch: 13 observation values"},
		{"batch, too few actions", 12, 6, false, 0, "do not make whole rows of 3 and 2"},
		{"empty batch", 0, 0, false, 0, "act batch"},
	} {
		t.Run(c.name, func(t *testing.T) {
			n, err := ActRows("x", make([]float32, c.obs), make([]float32, c.act), 3, 2, c.single)
			if c.wantErrPart == "" {
				if err != nil || n != c.want {
					t.Fatalf("got %d, %v; want %d, nil", n, err, c.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErrPart) {
				t.Fatalf("got %d, %v; want an error containing %q", n, err, c.wantErrPart)
			}
		})
	}
}

func TestBatchRows(t *testing.T) {
	b := replay.NewBatch(4, 3, 2, false)
	if n := BatchRows("x", b, 3, 2); n != 4 {
		t.Fatalf("BatchRows = %d, want 4", n)
	}
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(r.(string), "x.Update: batch of 4 rows has obs 12, act 8") {
			t.Fatalf("panic %v, want one naming x.Update and the lengths", r)
		}
	}()
	BatchRows("x", b, 3, 5)
}
