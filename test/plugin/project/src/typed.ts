// Type-checked (not bundled) against the calc.defs.d.ts the plugin writes.
import { allocatePort } from 'tsmig';
import { CalcClient, serveCalc, type CalcServer } from './calc.defs';

const impl: CalcServer = { add: (a: number, b: number) => a + b };
const port = allocatePort();
serveCalc(port, impl);
const sum: Promise<number> = new CalcClient(port.makeSendRight()).add(2, 3);
void sum;
