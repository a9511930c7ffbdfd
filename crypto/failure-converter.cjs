// Temporal's failure converter with encodeCommonAttributes: a failure's message and stack trace move
// into an encoded payload, so the payload codec (SLUICE_PAYLOAD_KEY) encrypts them like every other
// payload (a warehouse error can quote data). Temporal loads failure converters by path, with
// require() in clients and workers and through the bundler in workflow code, hence CommonJS.
const { DefaultFailureConverter } = require('@temporalio/common');

exports.failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
