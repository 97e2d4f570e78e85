# Regenerates the h5py-written seed files of the fuzz targets:
#   /usr/bin/python3 gen.py
# Small on purpose: fuzzing mutates whole files.
import h5py, numpy as np

n = 6
with h5py.File("d4rl_h5py.hdf5", "w") as f:
    obs = np.arange((n + 1) * 3, dtype=np.float32).reshape(n + 1, 3)
    f["observations"] = obs[:n]
    f["next_observations"] = obs[1:]
    f["actions"] = np.linspace(-1, 1, 2 * n).reshape(n, 2).astype(np.float32)
    f["rewards"] = np.arange(n, dtype=np.float32)
    f["terminals"] = np.array([0, 0, 1, 0, 0, 0], dtype=bool)
    f["timeouts"] = np.array([0, 0, 0, 0, 0, 1], dtype=bool)
    f["infos/qpos"] = np.arange(2 * n, dtype=np.float64).reshape(n, 2)
    f["metadata/algorithm"] = "SAC"
    f.attrs["env_id"] = "hopper"

with h5py.File("minari_h5py.hdf5", "w", track_order=True) as f:
    f.attrs["total_episodes"] = np.int64(2)
    for k, T in enumerate([3, 2]):
        g = f.create_group(f"episode_{k}")
        g["observations"] = np.arange((T + 1) * 2, dtype=np.float64).reshape(T + 1, 2)
        g.create_dataset("actions", data=np.ones((T, 1), dtype=np.float32), chunks=True, maxshape=(None, 1))
        g["rewards"] = np.ones(T, dtype=np.float64)
        g["terminations"] = np.eye(1, T, T - 1, dtype=bool)[0]
        g["truncations"] = np.zeros(T, dtype=bool)
