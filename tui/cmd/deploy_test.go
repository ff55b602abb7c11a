package cmd

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/basin-dev/basin/assets"
)

// k8sJob is the part of a Kubernetes Job the test reads.
type k8sJob struct {
	Kind     string
	Metadata struct{ Name string }
	Spec     struct {
		CompletionMode string `yaml:"completionMode"`
		Completions    int
		Template       struct {
			Spec struct {
				Containers []struct {
					Command []string
					Env     []struct{ Name, Value string }
				}
			}
		}
	}
}

// buildBasin compiles the command once for tests that run it as a process.
func buildBasin(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "basin")
	cmd := exec.Command("go", "build", "-o", bin, "../..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// The shipped Kubernetes manifest, run here: its Indexed Job's container
// command once per index as a process with JOB_COMPLETION_INDEX set (and
// the manifest's env), its merge Job's command after, /data a temporary
// folder and the workload made small (--grid, --samples); the merged plane
// must equal the single-process scan byte for byte.
func TestKubernetesManifestRunsAsProcesses(t *testing.T) {
	raw, err := assets.Deploy.ReadFile("deploy/k8s/scan-job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var jobs []k8sJob
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	for {
		var j k8sJob
		if err := dec.Decode(&j); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("manifest: %v", err)
		}
		if j.Kind == "Job" {
			jobs = append(jobs, j)
		}
	}
	if len(jobs) != 2 || jobs[0].Spec.CompletionMode != "Indexed" || jobs[0].Spec.Completions < 2 {
		t.Fatalf("want an Indexed Job and a merge Job, got %+v", jobs)
	}
	bin := buildBasin(t)
	data := t.TempDir()
	ck, _ := os.ReadFile(filepath.Join("..", "..", "assets", "pretrained", "small.safetensors"))
	if err := os.WriteFile(filepath.Join(data, "model.safetensors"), ck, 0o644); err != nil {
		t.Fatal(err)
	}
	small := func(cmd []string) []string {
		out := make([]string, len(cmd))
		for i, a := range cmd {
			switch {
			case i > 0 && cmd[i-1] == "--grid":
				a = "5"
			case i > 0 && cmd[i-1] == "--samples":
				a = "40"
			}
			a = strings.ReplaceAll(a, "/data", data)
			if a == "basin" {
				a = bin
			}
			out[i] = a
		}
		return out
	}
	shard := jobs[0].Spec.Template.Spec.Containers[0]
	for i := 0; i < jobs[0].Spec.Completions; i++ {
		args := small(shard.Command)
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Env = append(os.Environ(), "JOB_COMPLETION_INDEX="+strconv.Itoa(i))
		for _, e := range shard.Env {
			cmd.Env = append(cmd.Env, e.Name+"="+e.Value)
		}
		if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "Kubernetes Indexed Job") {
			t.Fatalf("shard %d: %v\n%s", i, err, out)
		}
	}
	merge := small(jobs[1].Spec.Template.Spec.Containers[0].Command)
	if out, err := exec.Command(merge[0], merge[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("merge: %v\n%s", err, out)
	}
	whole := small(append([]string{}, shard.Command...))
	for i, a := range whole {
		if strings.Contains(a, "{shard}") {
			whole[i] = filepath.Join(data, "whole.npz")
		}
	}
	if out, err := exec.Command(whole[0], whole[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("single process: %v\n%s", err, out)
	}
	a, _ := os.ReadFile(filepath.Join(data, "plane.npz"))
	b, _ := os.ReadFile(filepath.Join(data, "whole.npz"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Fatalf("merged plane (%d bytes) differs from the single-process scan (%d bytes)", len(a), len(b))
	}
}
