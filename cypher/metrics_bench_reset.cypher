// bench/metrics.py only: forget every profile's metrics (the properties a batch wrote), so a
// reused bench graph starts again from "every value new".
MATCH (p:Profile)
SET p = {profileId: p.profileId, status: p.status, size: p.size}
