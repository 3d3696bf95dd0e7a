//! Build faults: a read-only output folder, a full disk, a build interrupted
//! or killed, two builds at once. In every case the previous site survives.
