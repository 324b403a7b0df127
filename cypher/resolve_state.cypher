// What the last batch run of a stage ($stage: 'batch' for resolve, 'households') ran on (a
// digest of its inputs and of what it left in the graph) and its summary: a run whose inputs
// are the same digest has nothing to do.
MATCH (s:ResolveState {name: $stage})
RETURN s.digest AS digest, s.summary AS summary
