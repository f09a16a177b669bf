// The Node child: claims the port its parent handed it and calls back over
// it with the generated client. See native-child.cc for the same in C++.
import { claimParentPorts } from 'tsmig';
import { CallbackClient } from './generated/callback.js';

const { callback } = await claimParentPorts(); // a send right to the parent's port
console.log(`child ${process.pid}: claimed port "callback" from my parent`);
const parent = new CallbackClient(callback);
const answer = await parent.hello(process.pid, 'hi! I got your port');
console.log(`child ${process.pid}: my parent answered: "${answer}"`);
parent.close();
callback.close();
