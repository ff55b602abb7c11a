// Package train fits a model to a data set with SGD+momentum or Adam.
//
// Data flows: Config + data.Source → Train shuffles the training split with
// the seed, runs a gorgonia training graph (model.Net) per batch to get the
// loss and its gradients, and applies the optimizer to the parameters in
// place. After every step it sends a progress.Step; after every epoch it
// evaluates the test split, sends a progress.Epoch and keeps a copy of the
// parameters (the trajectory). Cancelling the context stops it at the next
// step with the last completed step's weights, which are still returned.
// A loss that stops being finite ends the run at once (ErrDiverged).
//
// Save writes a result as a checkpoint and its trajectory, with Meta's
// record of what produced them; a diverged result goes beside the path
// asked for (DivergedPath), never over it.
//
// The optimizer update is written here, not taken from gorgonia's solvers,
// to follow torch.optim exactly (gorgonia's Momentum applies weight decay to
// the velocity rather than to the weights).
package train
