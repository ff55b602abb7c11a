package app

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/train"
)

// hostileProgress are progress files a viewer may be shown: negative and
// absurd counts, steps past their epoch, non-finite values.
var hostileProgress = []string{
	`{"preset":"small","epochs":-3,"batch":-1,"last":{"Epoch":-1,"Epochs":-2,"Step":-5,"Steps":-1,"Global":-9},"epochs_done":[{"Epoch":-1,"Epochs":-1}]}`,
	`{"preset":"small","epochs":2,"last":{"Epoch":5,"Epochs":2,"Step":900,"Steps":10,"Global":3}}`,
	`{"preset":"small","epochs":1000000000,"batch":64,"steps":[[-1,0.5],[1e300,null]],"last":{"Epoch":1,"Epochs":1000000000,"Step":1,"Steps":2000000000,"Global":-1}}`,
	`{"preset":"small","epochs":1,"sharpness":[{"step":-4,"lambda_max":null,"residual":-1,"products":-2}],"stability_threshold":-1}`,
	`{"preset":"small","epochs":1,"epochs_done":[{"Epoch":1,"Epochs":1,"Elapsed":-100,"EpochElapsed":-1000}]}`,
}

// renderProgress shows a progress file in the watch view at a few sizes:
// a file nobody checked must not panic the app (under basin serve it
// killed that viewer's session).
func renderProgress(t *testing.T, m *Model, b []byte) {
	l, err := train.ParseLive(b)
	if err != nil {
		return
	}
	w := newWatchView(m.common)
	w.showTraining(l, w.mod)
	for _, size := range [][2]int{{80, 24}, {200, 60}, {20, 5}} {
		w.view(size[0], size[1])
	}
}

func TestWatchHostileProgress(t *testing.T) {
	o := testOptions(t)
	ck, _ := checkpoint.Pretrained("small")
	m := newModel(o, ck, tiny, os.Stdout)
	defer m.eng.Shutdown()
	for _, b := range hostileProgress {
		if !json.Valid([]byte(b)) {
			t.Fatalf("not JSON: %s", b)
		}
		renderProgress(t, m, []byte(b))
	}
}

func FuzzWatchProgress(f *testing.F) {
	for _, b := range hostileProgress {
		f.Add([]byte(b))
	}
	o := testOptions(&testing.T{})
	ck, _ := checkpoint.Pretrained("small")
	m := newModel(o, ck, tiny, os.Stdout)
	f.Fuzz(func(t *testing.T, b []byte) { renderProgress(t, m, b) })
}
