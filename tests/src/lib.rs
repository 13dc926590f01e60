//! Workspace-wide integration, end-to-end and fault-injection tests live in `tests/`.
