// Package wechat is the WeChat official account (公众号) channel: the
// callback URL that WeChat's servers call for every message and event a
// citizen sends to the city's account, and the customer-service message
// API (客服消息) for what cannot be answered in the callback's reply.
//
// It is built on github.com/silenceper/wechat/v2 for the message crypto,
// the access token and the customer-service API, and does itself what the
// library leaves to applications: de-duplicating WeChat's retries,
// checking timestamps, answering "success" in time, keeping within the
// customer-service limits, and keeping citizens' messages out of logs.
package wechat
