//! Per-user rolling audit log files of tracking events, on log4rs.
