// What the last batch resolve ran on (a digest of its inputs and of the memberships it left)
// and its summary: a resolve whose inputs are the same digest has nothing to do.
MATCH (s:ResolveState {name: 'batch'})
RETURN s.digest AS digest, s.summary AS summary
