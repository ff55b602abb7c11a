package cmd

import (
	"context"
	"fmt"
	"io"

	"github.com/basin-dev/basin/assets"
)

// runDeploy prints a shipped cluster file: basin deploy slurm > scan.sbatch.
func runDeploy(_ context.Context, args []string, stdout, _ io.Writer) error {
	files := map[string]string{"slurm": "deploy/slurm/scan.sbatch", "k8s": "deploy/k8s/scan-job.yaml"}
	if len(args) != 1 || files[args[0]] == "" {
		return usagef("name the scheduler: basin deploy slurm > scan.sbatch, or basin deploy k8s > scan-job.yaml")
	}
	b, err := assets.Deploy.ReadFile(files[args[0]])
	if err != nil {
		return err
	}
	_, err = fmt.Fprint(stdout, string(b))
	return err
}
