package dialog

// SpecificPlace exposes specificPlace to the external tests.
var SpecificPlace = specificPlace
