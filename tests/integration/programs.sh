# programs.sh: real programs under the preload (sourced by run.sh).
