//! Interop with a client no one here wrote: Python grpcio (see `tests/interop/`).
