// Package checkpoint stores model weights as safetensors files with
// PyTorch's tensor names and layouts (conv1.weight [out,in,kh,kw],
// fc1.weight [out,in], …) and string metadata saying what produced them.
//
// Data flows: model.Params + Metadata → Save writes a temp file and renames
// it into place (a crash never leaves half a checkpoint) → Load reads the
// header, finds the preset (from the metadata, else by matching tensor
// shapes, so a PyTorch state_dict saved with safetensors loads too),
// converts F16/BF16/F64 to float32 and returns a Checkpoint with the file's
// SHA-256, which surfaces record to refuse mismatched resumes.
package checkpoint
