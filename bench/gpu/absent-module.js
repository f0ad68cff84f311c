// Stands in for a native module that bench/gpu/run-device.sh does not carry (sharp: the step
// benchmark decodes no images). Loading it works; using it says why it is missing.
'use strict';
function absent() {
  throw new Error('this module is not carried to the GPU machine (bench/gpu/run-device.sh): the step benchmark does not use it');
}
module.exports = new Proxy(absent, { get: (target, key) => (key === '__esModule' ? false : key === 'default' ? target : absent) });
