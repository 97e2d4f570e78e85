// Package checkpoint saves and restores everything a dwm run needs to resume
// exactly: named float32 tensors (network parameters and optimizer state) in
// the safetensors format, and a JSON manifest with the resolved config, step
// counters, random-stream states and arbitrary extra state.
//
// # Files
//
// A checkpoint is a directory:
//
//	step-000000012345/
//	    model.safetensors       network parameters
//	    optimizer.safetensors   optimizer state (moments, step counts) as tensors
//	    manifest.json           format version, step, counters, config, RNG, extra,
//	                            and the size and SHA-256 of each tensor file
//
// The safetensors files follow the format PyTorch's safetensors library reads
// (8-byte little-endian header length, a JSON header naming each tensor's
// dtype, shape and data_offsets plus a "__metadata__" map of strings, then the
// raw little-endian data, C order, no holes); dwm writes and reads dtype F32
// only, with the data aligned to 8 bytes.
//
// # Crash safety
//
// Every file goes through internal/atomicfile, and a checkpoint directory is
// assembled under a hidden temporary name and renamed into place only once
// complete, so a reader sees a whole checkpoint or none. The manifest records
// each tensor file's SHA-256, so a file damaged later is reported, not loaded.
// A Dir keeps the newest Keep checkpoints and Latest finds the newest one to
// resume from. One process at a time may save into a Dir.
//
// # Errors
//
// Loading names the file and the problem: a truncated or corrupt file, a
// header that breaks the format, a checksum mismatch, a manifest of a newer
// format version than this code reads. Assigning loaded tensors into a model
// names any tensor that is missing, unexpected, or of the wrong shape.
package checkpoint
