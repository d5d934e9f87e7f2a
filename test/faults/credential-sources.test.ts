/** The fault matrix's rows about credential sources (test/faults/matrix.ts), each driven as drive.ts says. */
import { driveGroup } from './drive';

driveGroup('credential sources');
