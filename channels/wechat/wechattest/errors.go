package wechattest

import "errors"

// Errors that ReadReply and Decrypt wrap; the wrapping message names the
// field or value that is wrong.
var (
	// ErrSignature means a signature does not match what the token,
	// timestamp, nonce (and Encrypt) give.
	ErrSignature = errors.New("wechattest: signature mismatch")
	// ErrCiphertext means an Encrypt value is not what WeChat's AES scheme
	// produces: bad base64, length, padding or inner length.
	ErrCiphertext = errors.New("wechattest: bad ciphertext")
	// ErrAppID means the AppID at the end of a decrypted message is not the
	// account's.
	ErrAppID = errors.New("wechattest: wrong AppID in ciphertext")
	// ErrReply means a passive reply is not one WeChat would show: not
	// XML, a missing or wrong field, or the wrong form for the mode.
	ErrReply = errors.New("wechattest: invalid reply")
)
