//! Deadline heap for checker schedules and probe deadlines (owner: director helper).
