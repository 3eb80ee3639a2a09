// Package wechattest is a fake WeChat platform for testing the official
// account channel: it plays WeChat's servers on both sides of the channel.
//
// Towards the channel's callback URL it signs and, in safe and compatible
// mode, encrypts messages and events exactly as WeChat does (Callback),
// can resend a callback as WeChat's retries do (Callback.Deliver), and
// crafts the bad callbacks the channel must refuse (options such as
// WithToken, WithAppID, WithTimestamp, WithPayload). It reads the
// channel's passive replies the way WeChat does (ReadReply): it checks the
// signature, decrypts, checks the AppID and the reply's fields, and says
// precisely what is wrong.
//
// Towards the channel's API client it serves WeChat's access token
// (plain and stable), customer-service message and typing endpoints
// (Handler, Server) with their real JSON and error codes, applies the customer-service rules (48-hour window,
// five messages per window, nothing after unsubscribe) on a clock the test
// can move (Advance), and records what was accepted (Sent) and refused
// (Refused).
//
// Signing and AES are written here from the protocol description with the
// standard library only, not taken from github.com/silenceper/wechat/v2,
// so that the fake really checks the channel built on that library; the
// tests hold the implementation to WeChat's published WXBizMsgCrypt samples.
//
// Everything here is safe for concurrent use.
package wechattest
