/** The fault matrix's rows about time (test/faults/matrix.ts), each driven as drive.ts says. */
import { driveGroup } from './drive';

driveGroup('time');
