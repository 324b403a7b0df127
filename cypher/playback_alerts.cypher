// Data playback: alerts about a profile.
MATCH (a:Alert)-[:ABOUT]->(:Profile {profileId: $profileId})
RETURN properties(a) AS alert
ORDER BY alert.firedAtMs DESC
