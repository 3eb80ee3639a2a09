//go:build !race

package knowledge

// raceEnabled is true under -race, where timings mean little.
const raceEnabled = false
