//go:build race

package audio

// raceEnabled reports a build with the race detector (and so checkptr).
const raceEnabled = true
