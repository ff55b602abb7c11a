package build

// Version is basin's release, recorded in every file it writes.
const Version = "0.2.0"
