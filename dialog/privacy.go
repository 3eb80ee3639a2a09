package dialog

import "github.com/hotline12345/hotline/internal/privacy"

// maskPrivate hides long numbers in text that is kept for statistics (the
// knowledge base misses), so that phone and ID numbers do not spread beyond
// the conversation they were written in.
func maskPrivate(text string) string { return privacy.MaskNumbers(text) }
