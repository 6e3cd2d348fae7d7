//! Results: the run store on disk, plots, HTML bundles, campaign indexes and `serve`.
