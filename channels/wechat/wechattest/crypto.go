package wechattest

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// blockSize is the PKCS#7 block WeChat pads to: 32 bytes, not AES's 16.
const blockSize = 32

// Signature is WeChat's callback signature: the hex SHA-1 of the parts
// sorted as byte strings and concatenated. The plain signature signs
// (token, timestamp, nonce); msg_signature and a reply's MsgSignature also
// sign the Encrypt value.
func Signature(parts ...string) string {
	sorted := slices.Clone(parts)
	slices.Sort(sorted)
	sum := sha1.Sum([]byte(strings.Join(sorted, "")))
	return hex.EncodeToString(sum[:])
}

// AESKey decodes a 43-character EncodingAESKey into the 32-byte AES key
// (base64 of the key with its trailing "=" left off).
func AESKey(encodingAESKey string) ([]byte, error) {
	if len(encodingAESKey) != 43 {
		return nil, fmt.Errorf("wechattest: EncodingAESKey has %d characters, want 43", len(encodingAESKey))
	}
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil {
		return nil, fmt.Errorf("wechattest: EncodingAESKey is not base64: %w", err)
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("wechattest: EncodingAESKey decodes to %d bytes, want 32", len(key))
	}
	return key, nil
}

// Encrypt is WeChat's Encrypt value for msg: base64 of AES-256-CBC with
// IV key[:16] over random || big-endian uint32 len(msg) || msg || appID,
// PKCS#7-padded to a multiple of 32 bytes. WeChat draws random afresh for
// every message; pass a fixed one to reproduce a known ciphertext.
func Encrypt(key []byte, random [16]byte, msg []byte, appID string) (string, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", fmt.Errorf("wechattest: AES key: %w", err)
	}
	if len(key) != 32 {
		return "", fmt.Errorf("wechattest: AES key has %d bytes, want 32", len(key))
	}
	n := 16 + 4 + len(msg) + len(appID)
	pad := blockSize - n%blockSize
	plain := make([]byte, 0, n+pad)
	plain = append(plain, random[:]...)
	plain = binary.BigEndian.AppendUint32(plain, uint32(len(msg)))
	plain = append(plain, msg...)
	plain = append(plain, appID...)
	for range pad {
		plain = append(plain, byte(pad))
	}
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(plain, plain)
	return base64.StdEncoding.EncodeToString(plain), nil
}

// Decrypt reverses Encrypt: it returns the random prefix, the message and
// the AppID that follows it. It is strict where WeChat's own encoder is
// exact: the padding must be 1 to 32 bytes of its own length and the
// ciphertext a multiple of 32 bytes. Errors wrap ErrCiphertext.
func Decrypt(key []byte, encrypted string) (random [16]byte, msg []byte, appID string, err error) {
	block, err := aes.NewCipher(key)
	if err != nil || len(key) != 32 {
		return random, nil, "", fmt.Errorf("wechattest: AES key has %d bytes, want 32", len(key))
	}
	data, err := base64.StdEncoding.DecodeString(encrypted)
	if err != nil {
		return random, nil, "", fmt.Errorf("%w: Encrypt is not base64: %v", ErrCiphertext, err)
	}
	if len(data) == 0 || len(data)%blockSize != 0 {
		return random, nil, "", fmt.Errorf("%w: %d bytes, not a positive multiple of %d", ErrCiphertext, len(data), blockSize)
	}
	cipher.NewCBCDecrypter(block, key[:16]).CryptBlocks(data, data)
	pad := int(data[len(data)-1])
	if pad < 1 || pad > blockSize {
		return random, nil, "", fmt.Errorf("%w: PKCS#7 padding byte %d outside 1..%d (wrong key?)", ErrCiphertext, pad, blockSize)
	}
	for _, b := range data[len(data)-pad:] {
		if int(b) != pad {
			return random, nil, "", fmt.Errorf("%w: PKCS#7 padding of %d bytes is not uniform (wrong key?)", ErrCiphertext, pad)
		}
	}
	data = data[:len(data)-pad]
	if len(data) < 20 {
		return random, nil, "", fmt.Errorf("%w: %d bytes after unpadding, want at least 20", ErrCiphertext, len(data))
	}
	copy(random[:], data[:16])
	n := binary.BigEndian.Uint32(data[16:20])
	if uint64(n) > uint64(len(data)-20) {
		return random, nil, "", fmt.Errorf("%w: message length %d exceeds the %d bytes left", ErrCiphertext, n, len(data)-20)
	}
	msg = data[20 : 20+n]
	return random, msg, string(data[20+n:]), nil
}
