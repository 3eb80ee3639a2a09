// Package app is the city's government app channel: the app's own users,
// vouched for by the app's backend with a short-lived signed token, chat
// over the widget's WebSocket protocol (/ws/app) or over REST, on several
// devices at once, and get a push through the app's push service when
// none of their devices is connected.
package app
