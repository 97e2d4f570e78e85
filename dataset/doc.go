// Package dataset holds offline reinforcement-learning data as plain value
// types and reads and writes it in the formats the field uses.
//
// A Dataset is a set of flat, row-major float32 columns in D4RL's shape:
// Observations [N×ObsDim], Actions [N×ActDim], Rewards [N],
// NextObservations [N×ObsDim], and two separate end flags per row: Terminals
// (the task ended; no bootstrapping past this step) and Timeouts (the episode
// was cut by a time limit or by the end of collection; the value of the next
// state still counts). An episode ends at a terminal, at a timeout, or at the
// end of the data.
//
// # Formats
//
// Load picks the reader from the file's first bytes (a zip archive is .npz,
// the HDF5 signature is HDF5), falling back to the extension only to word the
// error; Save picks the writer from the extension:
//
//   - .npz: NumPy archives with D4RL's key names (observations, actions,
//     rewards, next_observations, terminals, timeouts, infos/<name>,
//     metadata/<name>). float64 columns and bool/uint8/float flags written by
//     other tools are converted; other dtypes are rejected with the key named.
//   - .hdf5/.h5: D4RL's layout (the same keys at the root, infos/ and
//     metadata/ groups) or a Minari dataset (one episode_<id> group per
//     episode with N+1 observations). When a D4RL file has no
//     next_observations they are derived as D4RL's qlearning_dataset does,
//     and Metadata["next_observations"] says so. HDF5 goes through the C
//     library (cgo); built with the nohdf5 tag or without cgo, the HDF5
//     functions return ErrNoHDF5. Because libhdf5 1.10 can crash on corrupt
//     files, ReadHDF5 parses in a child process (the running executable,
//     re-run with DWM_DATASET_READ_HDF5 set, which this package's init
//     handles before main) and turns a crash into an error.
//
// Every file is written through internal/atomicfile: a failed write leaves
// the previous file (or none), never a partial one. Every loaded dataset has
// passed Validate, and errors name the file, the key and the index.
//
// # Returns
//
// EpisodeReturns, ReturnsToGo and MCReturns compute undiscounted episode
// returns, discounted returns-to-go, and the Monte-Carlo lower bounds Cal-QL
// regresses its conservative Q-values against (see MCReturns for the exact
// treatment of timeouts).
package dataset
